"""Watches Celery events as `celery events`/flower do (app.events.Receiver feeding app.events.State).

  events_probe.py HOSTNAME SUCCEEDED_ID FAILED_ID

Prints HEARTBEAT once a worker-heartbeat of HOSTNAME arrived (the test then sends its tasks), and, once the task
SUCCEEDED_ID has succeeded and FAILED_ID has failed, one JSON line: the event types seen from HOSTNAME and what
State made of the worker and the two tasks. Gives up after 60 s.
"""
import json
import sys
import threading

from celery_test_app import app


def main(hostname, ok_id, failed_id):
    state = app.events.State()
    seen = []
    said_heartbeat = False

    def on_event(event):
        nonlocal said_heartbeat
        if event.get("hostname") != hostname:
            return
        seen.append(event["type"])
        state.event(event)
        if event["type"] == "worker-heartbeat" and not said_heartbeat:
            said_heartbeat = True
            print("HEARTBEAT", flush=True)
        tasks = state.tasks
        if ok_id in tasks and tasks[ok_id].state == "SUCCESS" and failed_id in tasks and tasks[failed_id].state == "FAILURE":
            receiver.should_stop = True

    timer = threading.Timer(60, lambda: setattr(receiver, "should_stop", True))
    timer.start()
    with app.connection() as conn:
        receiver = app.events.Receiver(conn, handlers={"*": on_event})
        receiver.capture(limit=None, timeout=None, wakeup=False)
    timer.cancel()
    worker = state.workers.get(hostname)
    ok, failed = state.tasks.get(ok_id), state.tasks.get(failed_id)
    print(json.dumps({
        "types": sorted(set(seen)),
        "worker_alive": bool(worker and worker.alive),
        "sw_ident": worker.sw_ident if worker else None,
        "ok": {"state": ok.state, "name": ok.name, "result": ok.result, "runtime": ok.runtime} if ok else None,
        "failed": {"state": failed.state, "exception": failed.exception} if failed else None,
    }), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
