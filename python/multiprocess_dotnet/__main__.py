"""python -m multiprocess_dotnet run SCRIPT [ARGS...] | run -m MODULE [ARGS...] | info

`run` executes an unmodified program with its multiprocessing managers served from .NET threads in its own process
(see _dropin.install). `info` prints where the engine library is, loads it, and where .NET is (only `clr()` needs it).
"""
import os
import runpy
import sys

USAGE = ("usage: python -m multiprocess_dotnet run SCRIPT [ARGS...]\n"
         "       python -m multiprocess_dotnet run -m MODULE [ARGS...]\n"
         "       python -m multiprocess_dotnet info")


def _run(argv):
    from . import install
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.exists(script):
        print("multiprocess_dotnet: can't open file %r: no such file" % script, file=sys.stderr)
        return 2
    sys.argv = list(argv)
    # As `python script.py` does: the script's folder first on sys.path (spawned children inherit it).
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


def _info():
    from . import _engine, __version__
    print("multiprocess_dotnet", __version__, "on CPython", sys.version.split()[0])
    print("engine library:", _engine.library_path())
    try:
        e = _engine.engine()
    except ImportError as err:
        print("engine not loadable:", err)
        return 1
    print("engine", e.call("version"), "loaded", e.how)
    try:                                        # only clr() needs .NET; the engine does not
        from ._hostfxr import find_dotnet_root
        print("dotnet root (for clr()):", find_dotnet_root()[0])
    except ImportError:
        print("dotnet root (for clr()): none (the managers need none)")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        return _run(argv[1:])
    if argv[:1] == ["info"]:
        return _info()
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
