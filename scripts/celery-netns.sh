#!/usr/bin/env bash
# Beyond one host, on one machine: three network namespaces joined by veth through a bridge (198.18.0.0/15, the
# benchmarking range, used only inside them): redis-server (or rabbitmq-server) and the Map's client in "broker" (198.18.0.1), Python
# Celery workers in "py" (198.18.0.2), C# workers (`multiprocess celery worker`) in "cs" (198.18.0.3). A Map of
# multiprocess.whoami over 0..N-1 runs from the broker namespace; once 30 % of the tasks are done, one Python worker
# and one C# worker are SIGKILLed by pid; the survivors get the messages they held after the visibility timeout. Passes when every result comes back in its place (none lost, none twice) and both
# languages' survivors took part. Cleans up (processes by pid, namespaces, files) on any exit. Root; docs/celery.md.
# --broker amqp runs rabbitmq-server instead (RPC results; Python workers -P solo): no message can be lost there.
# On Redis a Python worker killed between kombu's BRPOP and its write to 'unacked' loses the message it popped
# (celery/kombu#305); the C# worker pops and records in one script. docs/celery.md.
# Usage: scripts/celery-netns.sh [--broker redis|amqp] [--tasks N] [--workers-per-language N] [--concurrency N] [--visibility S]
set -euo pipefail
tasks=10000 per=2 conc=4 vis=10 kind=redis
while [ $# -gt 0 ]; do
  case "$1" in
    --broker) kind=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    --workers-per-language) per=$2; shift 2 ;;
    --concurrency) conc=$2; shift 2 ;;
    --visibility) vis=$2; shift 2 ;;
    *) echo "celery-netns: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "celery-netns: needs root (ip netns)" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli="$here/dotnet/src/Multiprocess.Cli/bin/${CONFIGURATION:-Release}/net10.0/multiprocess"
app="$here/dotnet/tests/Multiprocess.Celery.Tests/python"
[ -x "$cli" ] || { echo "celery-netns: $cli is missing: build first (dotnet build Multiprocess.sln -c Release)" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "celery-netns: redis-server is missing: scripts/setup.sh" >&2; exit 2; }
/usr/bin/python3 -c "import celery, redis" 2>/dev/null || { echo "celery-netns: Debian's python3-celery/python3-redis are missing: scripts/setup.sh" >&2; exit 2; }

tag="mpc$$"                       # interface names must fit in 15 characters
nb="$tag-broker" np="$tag-py" nc="$tag-cs"
work=$(mktemp -d "/tmp/$tag.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Whatever runs in the namespaces goes too, by pid: the Erlang VM and the epmd daemon it starts are not children
  # of the pids above (rabbitmq-server's launcher does not exec the VM).
  for ns in "$nb" "$np" "$nc"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    echo "celery-netns: FAILED (exit $rc); logs:" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }; done
    echo "celery-netns: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

broker_ip=198.18.0.1
for ns in "$nb" "$np" "$nc"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$nb" link add br0 type bridge
ip -n "$nb" addr add "$broker_ip/24" dev br0
ip -n "$nb" link set br0 up
i=2
for pair in "$np:p" "$nc:c"; do
  ns=${pair%%:*} x=${pair##*:}
  ip link add "$tag$x"0 type veth peer name "$tag$x"1
  ip link set "$tag$x"0 netns "$nb"
  ip link set "$tag$x"1 netns "$ns"
  ip -n "$nb" link set "$tag$x"0 master br0 up
  ip -n "$ns" addr add "198.18.0.$i/24" dev "$tag$x"1
  ip -n "$ns" link set "$tag$x"1 up
  i=$((i + 1))
done

if [ "$kind" = redis ]; then
  broker="redis://$broker_ip:6379/0" backend_env=() pool=(-P threads -c "$conc")
  ip netns exec "$nb" redis-server --bind "$broker_ip" --port 6379 --save '' --appendonly no --dir "$work" \
    --protected-mode no >"$work/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    ip netns exec "$np" redis-cli -h "$broker_ip" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  ip netns exec "$nc" redis-cli -h "$broker_ip" ping | grep -q PONG   # reachable from the C# side too
elif [ "$kind" = amqp ]; then
  # py-amqp's threads pool acknowledges late only when its loop wakes: solo, as the tests do.
  broker="amqp://guest:guest@$broker_ip:5672//" backend_env=(CELERY_TEST_BACKEND=rpc://) pool=(-P solo -c 1)
  epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd | head -1)
  mkdir -p "$work/rabbit"
  echo "loopback_users = none" >"$work/rabbit/rabbitmq.conf"   # guest from the other namespaces
  ip netns exec "$nb" "$epmd" -port 4370 -address 127.0.0.1 >"$work/epmd.log" 2>&1 &
  pids+=($!)
  cd "$work"   # the Erlang VM writes crash dumps (MnesiaCore.*) to its working directory
  ip netns exec "$nb" env HOME="$work/rabbit" ERL_EPMD_PORT=4370 RABBITMQ_NODENAME="$tag@localhost" \
    RABBITMQ_NODE_IP_ADDRESS="$broker_ip" RABBITMQ_NODE_PORT=5672 RABBITMQ_DIST_PORT=25672 \
    RABBITMQ_MNESIA_BASE="$work/rabbit/mnesia" RABBITMQ_LOG_BASE="$work/rabbit/log" RABBITMQ_LOGS=- \
    RABBITMQ_PID_FILE="$work/rabbit/pid" RABBITMQ_ENABLED_PLUGINS_FILE="$work/rabbit/plugins" \
    RABBITMQ_CONFIG_FILE="$work/rabbit/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$work/rabbit/advanced.config" \
    /usr/lib/rabbitmq/bin/rabbitmq-server >"$work/rabbit.log" 2>&1 &
  pids+=($!)
  rabbit=$!
  cd "$here"
else
  echo "celery-netns: --broker redis|amqp, not '$kind'" >&2; exit 2
fi

wait_line() {  # file text seconds [pid that must stay alive]
  for _ in $(seq $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then echo "celery-netns: pid $4 exited before '$2' in $1" >&2; return 1; fi
    sleep 0.1
  done
  echo "celery-netns: no '$2' in $1 after $3 s" >&2; return 1
}
[ "$kind" = amqp ] && wait_line "$work/rabbit.log" "Server startup complete" 120 "$rabbit"
py_pids=() cs_pids=()
for n in $(seq "$per"); do
  (cd "$app" && exec ip netns exec "$np" env CELERY_TEST_BROKER="$broker" "${backend_env[@]}" CELERY_TEST_VISIBILITY="$vis" \
     C_FORCE_ROOT=1 PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m celery -A celery_test_app worker "${pool[@]}" -Q netns -n "py$n@netns" \
     --without-gossip --without-mingle --without-heartbeat -l info) >"$work/py$n.log" 2>&1 &
  pids+=($!) py_pids+=($!)
  ip netns exec "$nc" "$cli" celery worker --broker "$broker" --queues netns --concurrency "$conc" \
    --visibility-timeout "$vis" --hostname "cs$n@netns" >"$work/cs$n.log" 2>&1 &
  pids+=($!) cs_pids+=($!)
done
for n in $(seq "$per"); do
  wait_line "$work/py$n.log" " ready." 90 "${py_pids[$((n - 1))]}"
  wait_line "$work/cs$n.log" READY 60 "${cs_pids[$((n - 1))]}"
done
echo "celery-netns: $kind in $nb, $per Python worker(s) in $np, $per C# worker(s) in $nc (concurrency $conc, visibility timeout $vis s)"

ip netns exec "$nb" "$cli" celery map multiprocess.whoami "$tasks" --broker "$broker" --queue netns \
  --progress 100 --timeout 120 >"$work/map.log" 2>"$work/map.err.log" &
map=$!
pids+=($map)
# Mid-run: once 30 % of the tasks are done (Redis: stored results; RabbitMQ: results the client has read, in order).
kill_at=$((tasks * 3 / 10))
if [ "$kind" = redis ]; then
  for _ in $(seq 6000); do
    done_now=$(ip netns exec "$nb" redis-cli -h "$broker_ip" dbsize)
    [ "$done_now" -ge "$kill_at" ] && break
    kill -0 "$map" 2>/dev/null || { echo "celery-netns: the map exited early" >&2; exit 1; }
    sleep 0.05
  done
else
  kill_at=$((kill_at / 100 * 100)) done_now=$kill_at
  wait_line "$work/map.log" "PROGRESS $kill_at\$" 300 "$map"
fi
kill -9 "${py_pids[0]}" "${cs_pids[0]}"
unacked=unknown
[ "$kind" = redis ] && unacked=$(ip netns exec "$nb" redis-cli -h "$broker_ip" hlen unacked)
echo "celery-netns: at ~$done_now done, SIGKILLed Python worker py1 (pid ${py_pids[0]}) and C# worker cs1 (pid ${cs_pids[0]}); unacknowledged messages: $unacked"
rc=0
wait "$map" || rc=$?
summary=$(grep '^{' "$work/map.log" || true)
echo "celery-netns: map exit $rc: $summary"
[ $rc -eq 0 ] || exit 1
# Both languages' survivors took part (the killed ones did too, before they died).
echo "$summary" | grep -q "\"py:py$per@netns\"" || { echo "celery-netns: no result from a surviving Python worker" >&2; exit 1; }
echo "$summary" | grep -q "\"cs:cs$per@netns\"" || { echo "celery-netns: no result from a surviving C# worker" >&2; exit 1; }
grep -h "restored" "$work"/cs*.log || true
echo "celery-netns: OK: $tasks tasks, every result in its place"
