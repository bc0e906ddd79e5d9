namespace Multiprocess.Pickle;

/// <summary>How <see cref="PickleSerializer"/> writes a pickle.</summary>
public sealed class PickleOptions
{
    /// <summary>Gets the options multiprocessing uses on 3.8–3.13: protocol 4, default registry, default limits.</summary>
    public static PickleOptions Default { get; } = new();

    /// <summary>Gets the protocol: 2, 3, 4 (ForkingPickler's default on 3.8–3.13) or 5 (out-of-band buffers).</summary>
    public int Protocol { get; init; } = 4;

    /// <summary>Gets the out-of-band buffer callback (protocol 5). Null writes every <see cref="PickleBuffer"/> in band.</summary>
    public PickleBufferCallback? BufferCallback { get; init; }

    /// <summary>
    /// Gets the persistent-id hook (<c>Pickler.persistent_id</c>): return non-null to write that id (BINPERSID)
    /// instead of the object. <see cref="PyPersistentId"/> values are always written as persistent ids.
    /// </summary>
    public Func<object?, object?>? PersistentId { get; init; }

    /// <summary>Gets the .NET ↔ Python class bindings used to reduce registered types.</summary>
    public PyTypeRegistry Registry { get; init; } = PyTypeRegistry.Default;

    /// <summary>Gets the copyreg extension codes to use for globals (EXT1/2/4), or null for none (CPython's default).</summary>
    public ExtensionRegistry? Extensions { get; init; }

    /// <summary>Gets the limits (nesting depth).</summary>
    public PickleSecurity Security { get; init; } = PickleSecurity.Default;
}
