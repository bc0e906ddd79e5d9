namespace Multiprocess.Managers.Server;

/// <summary>
/// What one proxy connection called last: the entry its ident named and the method names already found callable on
/// it (exposed, <c>HasMethod</c>) with their <c>method_to_typeid</c>. A proxy's connection calls one object with a few
/// methods, and the request decoder hands out the same string instances for the same ident and method name
/// (<c>RequestUnpickler</c>), so the next call is recognised by reference: no table lookup, no exposed-set lookup, no
/// method_to_typeid lookup (~450 instructions per call; docs/manager-server/where-the-cpu-goes.md). Only the
/// builtin referents audited for the reused args tuple are remembered (<c>Server.ReadsArgumentsOnly</c>): their
/// <c>HasMethod</c> answers the same for ever, where a Python-hosted object's attributes may change between calls.
/// </summary>
/// <remarks>
/// The entry is taken for current only while <see cref="ObjectTable.Version"/> is the one read before it was
/// looked up: any add, replace or drop in the table (a decref to 0 on another connection) sends the next call back
/// to the table, which answers KeyError for a dropped object as before. One instance per connection, used by the
/// thread serving it.
/// </remarks>
internal sealed class LastCalled
{
    private const int Methods = 4;

    private readonly string?[] _methods = new string?[Methods];
    private readonly string?[] _typeIds = new string?[Methods];
    private string? _ident;
    private SharedEntry? _entry;
    private int _version;
    private int _next;

    /// <summary>Finds the call's target when this connection's last calls named the same ident and method strings.</summary>
    /// <param name="ident">The request's ident.</param>
    /// <param name="method">The request's method name.</param>
    /// <param name="version">The table's <see cref="ObjectTable.Version"/>, read now.</param>
    /// <param name="entry">The object.</param>
    /// <param name="typeId">The method's method_to_typeid (null: none).</param>
    /// <returns>False when the table must be asked.</returns>
    public bool TryGet(string ident, string method, int version, out SharedEntry entry, out string? typeId)
    {
        entry = _entry!;
        typeId = null;
        if (!ReferenceEquals(ident, _ident) || version != _version)
        {
            return false;
        }

        for (var i = 0; i < Methods; i++)
        {
            if (ReferenceEquals(method, _methods[i]))
            {
                typeId = _typeIds[i];
                return true;
            }
        }

        return false;
    }

    /// <summary>Remembers a call's target once the table, the exposed set and <c>HasMethod</c> accepted it.</summary>
    /// <param name="ident">The ident string of the request.</param>
    /// <param name="entry">What the table gave for it.</param>
    /// <param name="version">The table's version read before that lookup.</param>
    /// <param name="method">The method name string of the request.</param>
    /// <param name="typeId">Its method_to_typeid, or null.</param>
    public void Remember(string ident, SharedEntry entry, int version, string method, string? typeId)
    {
        if (!ReferenceEquals(ident, _ident) || version != _version || !ReferenceEquals(entry, _entry))
        {
            Array.Clear(_methods);
            _ident = ident;
            _entry = entry;
            _version = version;
            _next = 0;
        }

        _methods[_next] = method;
        _typeIds[_next] = typeId;
        _next = (_next + 1) % Methods;
    }
}
