"""Adds up the counts that `dotnet test` (VSTest) and pytest print into one closing line.

VSTest prints per assembly: 'Passed!  - Failed: 0, Passed: 3, Skipped: 1, Total: 4, ...' (or 'Failed!  - ...').
pytest prints: '==== 10 passed, 1 failed, 2 skipped in 3.1s ===='.
Exits 1 when something failed or when nothing ran at all.
"""
import re
import sys

VSTEST = re.compile(r"(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)")
PYTEST = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+)(?: in [\d.]+s.*)?\s*=*\s*$", re.M)


def main(paths):
    passed = failed = skipped = failed_envs = 0
    for path in paths:
        try:
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        for m in VSTEST.finditer(text):
            failed += int(m.group(2))
            passed += int(m.group(3))
            skipped += int(m.group(4))
        for m in PYTEST.finditer(text):
            for count, what in re.findall(r"(\d+) (\w+)", m.group(1)):
                if what == "passed" or what == "xpassed":
                    passed += int(count)
                elif what in ("failed", "error", "errors"):
                    failed += int(count)
                elif what in ("skipped", "xfailed"):
                    skipped += int(count)
        # tox's summary names each env that failed; one that failed before pytest printed its line (commands_pre,
        # a crash) must still show as a failure.
        failed_envs += len(re.findall(r"^ERROR:\s+\S+: (?:commands failed|InvocationError)", text, re.M))
    failed = max(failed, failed_envs)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
