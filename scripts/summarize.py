"""Adds up the counts that `dotnet test` (VSTest) and pytest (under tox) print into one closing line.

VSTest prints per assembly: 'Passed!  - Failed: 0, Passed: 3, Skipped: 1, Total: 4, ...' (or 'Failed!  - ...').
pytest prints: '==== 10 passed, 1 failed, 2 skipped in 3.1s ===='. tox 3 closes with a summary naming each env:
'  py38: commands succeeded' or 'ERROR:   py39: commands failed' (or any other reason).

Usage: summarize.py [--exit NAME=CODE ...] LOG...

Never reports a failing or empty run as passing. Each of these counts as (at least) one failure:
- a runner given with --exit that exited non-zero while no failed test was counted (a crashed test host);
- a log that is missing or in which no test ran at all;
- a VSTest run that was aborted;
- a tox env whose summary line is anything but 'commands succeeded' (a skipped env is a missing peer: a failure),
  or a tox log without its closing summary (tox itself died).
Exits 1 when anything failed or when nothing passed.
"""
import re
import sys

VSTEST = re.compile(r"(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)")
VSTEST_ABORTED = re.compile(r"^\s*Test Run Aborted|The active test run was aborted", re.M)
PYTEST = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+)(?: in [\d.]+s.*)?\s*=*\s*$", re.M)
TOX_SUMMARY = re.compile(r"^_+ summary _+$", re.M)
TOX_ENV_LINE = re.compile(r"^(?:(ERROR|SKIPPED|WARNING):)?\s+([\w.-]+): (.+)$")
# The names of failed tests, so that the last lines of a long CI log say which test failed: VSTest prints
# '  Failed Namespace.Class.Test [12 ms]'; pytest's short summary (-rfE) prints 'FAILED path::test - message'.
VSTEST_FAILED = re.compile(r"^\s*Failed (\S+) \[", re.M)
PYTEST_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


def failed_names(text):
    """The failed tests a log names, in order, each once."""
    names = VSTEST_FAILED.findall(text) + PYTEST_FAILED.findall(text)
    return list(dict.fromkeys(names))


def count_log(text):
    """Returns (passed, failed, skipped, problems) for one log; problems name what failed outside the counts."""
    passed = failed = skipped = 0
    problems = []
    for m in VSTEST.finditer(text):
        failed += int(m.group(2))
        passed += int(m.group(3))
        skipped += int(m.group(4))
    if VSTEST_ABORTED.search(text):
        problems.append("a VSTest run was aborted")
    for m in PYTEST.finditer(text):
        for count, what in re.findall(r"(\d+) (\w+)", m.group(1)):
            if what in ("passed", "xpassed"):
                passed += int(count)
            elif what in ("failed", "error", "errors"):
                failed += int(count)
            elif what in ("skipped", "xfailed"):
                skipped += int(count)
    summary = TOX_SUMMARY.search(text)
    if summary:
        for line in text[summary.end():].splitlines():
            m = TOX_ENV_LINE.match(line)
            if m and m.group(3).strip() != "commands succeeded":
                problems.append(f"tox env {m.group(2)}: {m.group(3).strip()}")
    elif re.search(r"^\S+ run-test(?:-pre)?: ", text, re.M):
        problems.append("the tox log has no closing summary (tox did not finish)")
    return passed, failed, skipped, problems


def main(argv):
    exits = {}
    paths = []
    args = iter(argv)
    for arg in args:
        if arg == "--exit":
            name, _, code = next(args, "").partition("=")
            exits[name] = int(code or "1")
        else:
            paths.append(arg)
    passed = failed = skipped = 0
    problems = []
    names = []
    for path in paths:
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError as e:
            problems.append(f"{path}: cannot read the log ({e.strerror})")
            continue
        p, f, s, log_problems = count_log(text)
        if p + f == 0:
            log_problems.append(f"{path}: no test ran")
        passed, failed, skipped = passed + p, failed + f, skipped + s
        problems += log_problems
        names += [f"{path.rsplit('/', 1)[-1]}: {name}" for name in failed_names(text)]
    for name, code in exits.items():
        if code != 0:
            problems.append(f"{name} exited {code}")
    for name in names:
        print(f"summarize: failed test {name}", file=sys.stderr)
    for problem in problems:
        print(f"summarize: {problem}", file=sys.stderr)
    # A problem is one failure unless the counted failures already account for it.
    failed = max(failed, len(problems)) if problems else failed
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
