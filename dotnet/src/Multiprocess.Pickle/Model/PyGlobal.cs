namespace Multiprocess.Pickle;

/// <summary>
/// A reference to a module-level Python object by name: a class or function such as <c>builtins.KeyError</c> or
/// <c>multiprocessing.managers.Token</c> (pickle's GLOBAL / STACK_GLOBAL). It is data only: nothing is imported or
/// instantiated. Two globals are equal when module and qualified name are.
/// </summary>
public sealed class PyGlobal : IEquatable<PyGlobal>
{
    /// <summary>Initializes a new instance of the <see cref="PyGlobal"/> class.</summary>
    /// <param name="module">The module, e.g. <c>multiprocessing.managers</c>.</param>
    /// <param name="name">The qualified name within the module, e.g. <c>Token</c> or <c>Outer.Inner</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public PyGlobal(string module, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        Module = module;
        Name = name;
    }

    /// <summary>Gets <c>builtins.object</c>.</summary>
    public static PyGlobal Object { get; } = new("builtins", "object");

    /// <summary>Gets <c>copyreg._reconstructor</c>, the constructor protocols 0 and 1 use for plain objects.</summary>
    public static PyGlobal CopyregReconstructor { get; } = new("copyreg", "_reconstructor");

    /// <summary>Gets <c>copyreg.__newobj__</c>.</summary>
    public static PyGlobal CopyregNewObj { get; } = new("copyreg", "__newobj__");

    /// <summary>Gets <c>builtins.getattr</c> (how bound methods and method descriptors pickle).</summary>
    public static PyGlobal Getattr { get; } = new("builtins", "getattr");

    /// <summary>Gets the module name.</summary>
    public string Module { get; }

    /// <summary>Gets the qualified name within the module.</summary>
    public string Name { get; }

    /// <summary>Gets or sets how the unpickler turns a call of this global into a natural value (known stdlib callables only).</summary>
    internal KnownReducers.Reducer? Reducer { get; init; }

    /// <summary>Gets <c>module.name</c>.</summary>
    public string FullName => Module + "." + Name;

    /// <summary>Compares module and name.</summary>
    /// <param name="other">The other global.</param>
    /// <returns>Whether both match.</returns>
    public bool Equals(PyGlobal? other) =>
        other is not null && string.Equals(Module, other.Module, StringComparison.Ordinal) && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <summary>Returns whether this is <paramref name="module"/>.<paramref name="name"/>.</summary>
    /// <param name="module">The module.</param>
    /// <param name="name">The qualified name.</param>
    /// <returns>True when both match.</returns>
    public bool Is(string module, string name) =>
        string.Equals(Name, name, StringComparison.Ordinal) && string.Equals(Module, module, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PyGlobal g && Equals(g);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Module, Name);

    /// <summary>Returns <c>module.name</c>.</summary>
    /// <returns>The full name.</returns>
    public override string ToString() => FullName;
}
