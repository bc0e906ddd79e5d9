"""Prints docs/native.md's "Measured" table from the `shim` suite's CSV (dotnet/benchmarks/results/shim.csv, or the
file given), so that the table is the last run's figures and nothing else: one row per case, the stdlib's median and
each shim mode's with its ratio against the stdlib under the same start method and the goal verdict the suite wrote
(ShimSuite.cs); for the throughput cases also the CPU per call (client + server, and the server's kernel part) and
the ratio the machine's cores allow at that CPU (bench_shim.py's note) and at the kernel CPU (the suite's
"reachable here"). Ends with when each group of rows ran and the machine's load then.

    python3 scripts/shim-table.py [dotnet/benchmarks/results/shim.csv]
"""
import csv
import os
import re
import sys

SHIM_PROCESS = "multiprocess_dotnet.Manager(), server process (fork)"
SHIM_INPROCESS = "multiprocess_dotnet.Manager(), in-process server (spawn)"
CPU_SUFFIXES = (": client CPU per call", ": server CPU per call")
KERNEL_SUFFIX = ": server kernel CPU per call"


def duration(ns):
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.3g ms" % (ns / 1e6)
    return "%.3g µs" % (ns / 1e3)


def figure(case, row):
    median = float(row["MedianNs"])
    if case.startswith("dict set/get") and "incl." not in case:
        return "{:,.0f} ops/s".format(1e9 / median)
    return duration(median)


def verdict(note):
    """The suite's goal verdict ('goal ...: 1.32x, not met') and the cores' cap ('ratio the cores allow: 1.75x')."""
    parts = []
    goal = re.search(r"goal[^:]*?(?:\(issue 12\))?: ([^;]*?): ([0-9.]+)x, (met|not met)", note)
    if goal:
        parts.append("goal %s: %s" % (goal.group(1).replace("goal ", ""), goal.group(3)))
    cap = re.search(r"ratio the cores allow: ([0-9.]+)x", note)
    if cap:
        parts.append("cores allow %sx" % cap.group(1))
    reachable = re.search(r"reachable here ≤ ([0-9.]+)×", note)
    if reachable:
        parts.append("reachable ≤ %s× at the kernel CPU" % reachable.group(1))
    return "; ".join(parts)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "dotnet", "benchmarks", "results", "shim.csv")
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Suite"] == "shim"]
    by = {(r["Case"], r["Implementation"]): r for r in rows}
    cases = []
    for r in rows:
        if r["Case"] not in cases and not r["Case"].endswith(CPU_SUFFIXES + (KERNEL_SUFFIX,)):
            cases.append(r["Case"])
    stdlibs = sorted({r["Implementation"] for r in rows if r["Implementation"].startswith("CPython")},
                     key=lambda name: "spawn" in name)
    print("| case | stdlib%s | shim, server process (fork) | shim, in-process (spawn) |"
          % (" (fork / spawn)" if len(stdlibs) > 1 else ""))
    print("|---|---|---|---|")
    for case in cases:
        base = " / ".join(figure(case, by[(case, s)]) for s in stdlibs if (case, s) in by)
        cells = []
        for impl in (SHIM_PROCESS, SHIM_INPROCESS):
            row = by.get((case, impl))
            if row is None:
                cells.append("")
                continue
            baseline = by.get((case, row["Baseline"]))
            ratio = float(baseline["MedianNs"]) / float(row["MedianNs"]) if baseline else None
            text = figure(case, row)
            if ratio is not None:
                text += " (%.2f×" % ratio + ("" if "spawn" not in row["Baseline"] or "spawn" in stdlibs[0]
                                              else " the spawn stdlib") + ")"
            v = verdict(row["Note"])
            cells.append(text + (": " + v if v else ""))
        print("| %s | %s | %s | %s |" % (case, base, cells[0], cells[1]))
        # The 4-line program's note: peak RSS (issue 12: at most 1.5x the stdlib's) and CPU of all its processes.
        for label, pattern, goal in (
                ("peak RSS of its processes",
                 r"peak RSS of its processes: median ([0-9.]+ MiB), [^,]*, ([0-9.]+)x", 1.5),
                ("CPU of its processes", r"CPU of its processes: median ([0-9.]+ ms), [^,]*, ([0-9.]+)x", None)):
            found = [re.search(pattern, by[(case, impl)]["Note"]) if (case, impl) in by else None
                     for impl in stdlibs + [SHIM_PROCESS, SHIM_INPROCESS]]
            if not any(found):
                continue
            values = [m.group(1) if m else "" for m in found[:len(stdlibs)]]
            for m in found[len(stdlibs):]:
                text = "%s (%s×)" % (m.group(1), m.group(2)) if m else ""
                if m and goal:
                    met = float(m.group(2)) <= goal
                    text += ": goal <= %.1f× the stdlib's: %s" % (goal, "met" if met else "not met")
                values.append(text)
            print("| %s: %s | %s | %s | %s |"
                  % (case, label, " / ".join(values[:len(stdlibs)]), values[-2], values[-1]))
        cpu = []
        for impl in [stdlibs[0], SHIM_PROCESS, SHIM_INPROCESS]:
            client, server = (by.get((case + s, impl)) for s in CPU_SUFFIXES)
            kernel = by.get((case + KERNEL_SUFFIX, impl))
            cpu.append("%.1f + %.1f µs" % (float(client["MedianNs"]) / 1e3, float(server["MedianNs"]) / 1e3)
                       + (" (kernel %.1f)" % (float(kernel["MedianNs"]) / 1e3) if kernel else "")
                       if client and server else None)
        if any(cpu):
            print("| %s: CPU per call, client + server (its kernel part) | %s |" % (case, " | ".join(c or "" for c in cpu)))
    print()
    runs = {}
    for r in rows:
        load = re.search(r"((?:machine )?load average.*)$", r["Note"])
        runs.setdefault(r["Timestamp"], load.group(1) if load else "load not recorded")
    for stamp, load in sorted(runs.items()):
        print("- rows written %s: %s" % (stamp.replace("T", " ").replace("Z", " UTC"), load))


if __name__ == "__main__":
    main()
