namespace Multiprocess.Pickle;

/// <summary>How <see cref="PickleSerializer"/> reads a pickle.</summary>
public sealed class UnpickleOptions
{
    /// <summary>Gets the default options: default registry, limits for untrusted input, Python 2 str decoded as ASCII.</summary>
    public static UnpickleOptions Default { get; } = new();

    /// <summary>
    /// Gets the out-of-band buffers that NEXT_BUFFER opcodes consume in order (Python's <c>buffers</c>); each is
    /// pushed as is, without copying. Null: a pickle with NEXT_BUFFER is rejected.
    /// </summary>
    public IEnumerable<PickleBuffer>? Buffers { get; init; }

    /// <summary>
    /// Gets the persistent-load hook (<c>Unpickler.persistent_load</c>) for PERSID/BINPERSID. Null rejects such
    /// pickles, as CPython does; <c>id =&gt; new PyPersistentId(id)</c> keeps the reference as data.
    /// </summary>
    public Func<object?, object?>? PersistentLoad { get; init; }

    /// <summary>Gets the .NET ↔ Python class bindings and the exception classes.</summary>
    public PyTypeRegistry Registry { get; init; } = PyTypeRegistry.Default;

    /// <summary>Gets the copyreg extension codes that EXT1/2/4 refer to, or null for none.</summary>
    public ExtensionRegistry? Extensions { get; init; }

    /// <summary>Gets the limits for untrusted input.</summary>
    public PickleSecurity Security { get; init; } = PickleSecurity.Default;

    /// <summary>Gets how Python 2 <c>str</c> (STRING, BINSTRING, SHORT_BINSTRING) is decoded: Python's <c>encoding=</c> argument.</summary>
    public Py2StringEncoding Py2Strings { get; init; } = Py2StringEncoding.Ascii;

    /// <summary>Gets a value indicating whether Python 2 module names (<c>__builtin__</c>, <c>copy_reg</c>, <c>exceptions</c>...) are mapped to Python 3's, as <c>fix_imports=True</c> does.</summary>
    public bool FixImports { get; init; } = true;
}
