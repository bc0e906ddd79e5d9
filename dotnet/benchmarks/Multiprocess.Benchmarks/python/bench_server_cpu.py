"""A server process's CPU per call, as bench_manager_server.py measures its servers: the process's CPU-time clock
(nanoseconds, all threads) read around each sample, the kernel's user / system split from /proc/PID/stat summed over a
case's samples, and the JSON result line with the ratio paired by round.
"""
import json
import statistics
import time


def server_cpu_ns(pid):
    """The server process's CPU time so far, user + system over all its threads, dead ones included: the sum that
    /proc/PID/stat reports as utime + stime in clock ticks (10 ms), read in nanoseconds through the process's
    CPU-time clock (clock_getcpuclockid(pid): MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) = (~pid << 3) | 2)."""
    return time.clock_gettime_ns((~pid << 3) | 2)


def server_ticks(pid):
    """The server process's (utime, stime) so far from /proc/PID/stat, in clock ticks (USER_HZ, 10 ms): the kernel's
    split of its CPU time between user space and the kernel. The split is sampled (the scheduler tick, CONFIG_HZ,
    finds the process in one mode or the other) and scaled to the precise total, then truncated to 10 ms: useless
    for one sample of a few ms, usable summed over a case's samples (hundreds of ms of server CPU)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


MIN_SPLIT_TICKS = 5             # below 50 ms of server CPU over a case (--smoke) the split is not reported


def kernel_share(ticks, samples, outside_ns, over="the case"):
    """(kernel share of the server's CPU in its samples, the note saying how precise it is), or (None, reason).
    ticks: (utime, stime) summed over the samples; outside_ns: the server's CPU over the case's rounds (over: what
    the samples cover) outside its own samples (precise), which the share leaves out."""
    user, system = ticks
    total = user + system
    if total < MIN_SPLIT_TICKS:
        return None, "%d ticks of 10 ms" % total
    share = system / total
    # Each sample's utime and stime differences are off by under one tick (both readings truncated: a spread of sd
    # ~0.41 tick), so their sums over n samples by ~0.41 √n ticks (1 sd); the scheduler tick's sampling of the
    # split (CONFIG_HZ) adds noise of its own.
    sd = 100 * 0.41 * samples ** 0.5 / total
    return share, ("kernel share %.0f %% of the server's CPU in its %d samples (/proc/PID/stat around each: utime %d"
                   " + stime %d ticks of 10 ms; ±%.0f pts, 1 sd of the ticks' truncation) times the CPU clock's"
                   " per-sample figures; the server also spent %.1f ms of CPU over %s outside its samples"
                   % (100 * share, samples, user, system, sd, outside_ns / 1e6, over))


def line(case, impl, samples, baseline, ops, note=None):
    """A result line; with the baseline's samples of the same rounds, also the paired ratio (median over rounds of
    baseline / this) and, in the note, the ratio of the medians."""
    result = {"case": case, "impl": impl, "min_ns": min(samples), "median_ns": statistics.median(samples),
              "samples": len(samples), "ops": ops}
    notes = [note] if note else []
    pairs = [b / s for s, b in zip(samples, baseline) if s > 0] if baseline is not None else []
    if pairs:
        result["ratio"] = statistics.median(pairs)
        notes.insert(0, "ratio paired by round (median of %d; ratio of the medians %.2f×)" % (
            len(samples), statistics.median(baseline) / result["median_ns"]))
    if notes:
        result["note"] = "; ".join(notes)
    print(json.dumps(result, ensure_ascii=False), flush=True)
