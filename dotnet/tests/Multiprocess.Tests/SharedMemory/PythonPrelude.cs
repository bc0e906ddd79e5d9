namespace Multiprocess.Tests.Shm;

/// <summary>What every CPython peer of these tests runs first.</summary>
internal static class PythonPrelude
{
    /// <summary>
    /// Imports, a spawn context (so Python's SemLocks have names), and no resource tracking in the peer: it only visits
    /// objects their creator owns, and a tracker of its own would unlink them when it exits (docs/native.md pitfall).
    /// <c>semlock(cls, kind, maxvalue, name)</c> rebuilds a lock the way unpickling does (<c>__setstate__</c>), and
    /// <c>attach(name)</c> opens a C# segment.
    /// </summary>
    public const string Code = """
        import sys, struct, time, threading
        import multiprocessing as mp
        from multiprocessing import shared_memory as sm, resource_tracker as rt, synchronize
        rt.register = rt.unregister = lambda *a, **k: None
        ctx = mp.get_context('spawn')
        def semlock(cls, kind, maxvalue, name):
            o = cls.__new__(cls)
            o.__setstate__((0, kind, maxvalue, name))
            return o
        def attach(name):
            return sm.SharedMemory(name=name)
        """;
}
