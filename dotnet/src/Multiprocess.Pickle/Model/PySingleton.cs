namespace Multiprocess.Pickle;

/// <summary>Python's singletons without a natural C# value: <c>Ellipsis</c> and <c>NotImplemented</c>.</summary>
public sealed class PySingleton
{
    private PySingleton(string name) => Name = name;

    /// <summary>Gets <c>Ellipsis</c> (<c>...</c>).</summary>
    public static PySingleton Ellipsis { get; } = new("Ellipsis");

    /// <summary>Gets <c>NotImplemented</c>.</summary>
    public static PySingleton NotImplemented { get; } = new("NotImplemented");

    /// <summary>Gets the name in <c>builtins</c>, which is also its repr.</summary>
    public string Name { get; }

    /// <summary>Returns the repr: <c>Ellipsis</c> or <c>NotImplemented</c>.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Name;
}
