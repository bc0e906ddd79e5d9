namespace Multiprocess.Managers.Server;

/// <summary>
/// Which CPython generation of <c>Lib/multiprocessing/managers.py</c> the server answers as (docs/versions.md, "How
/// one manager server answers every version"). CPython 3.14 registers the type id <c>set</c> (SetProxy) and exposes
/// more names: <c>locked</c> on AcquirerProxy and ConditionProxy, <c>clear</c>/<c>copy</c> on ListProxy, <c>__ior__ __or__ __reversed__ __ror__
/// fromkeys</c> on DictProxy. A 3.8–3.13 client must see the names of its own version, so the server tells the
/// generations apart by the pickle protocol of each request: 3.14's <c>pickle.DEFAULT_PROTOCOL</c> is 5, every earlier
/// version (and <c>multiprocess</c> on them) sends protocol 4 or lower.
/// </summary>
internal enum ManagerDialect
{
    /// <summary>CPython 3.8–3.13 (and <c>multiprocess</c> on them): no <c>set</c>, the shorter exposed lists.</summary>
    Python38,

    /// <summary>CPython 3.14 (and <c>multiprocess</c> 0.70.19 on it).</summary>
    Python314,
}

/// <summary>Reads a request's dialect.</summary>
internal static class ManagerDialects
{
    /// <summary>The dialect of a pickled request: its PROTO opcode (<c>\x80 N</c>) says 5 or more for CPython 3.14.</summary>
    public static ManagerDialect OfRequest(ReadOnlySpan<byte> pickle) =>
        pickle.Length >= 2 && pickle[0] == 0x80 && pickle[1] >= 5 ? ManagerDialect.Python314 : ManagerDialect.Python38;
}
