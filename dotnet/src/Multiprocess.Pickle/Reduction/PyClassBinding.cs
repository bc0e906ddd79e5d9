namespace Multiprocess.Pickle;

/// <summary>
/// Binds a .NET type to a Python class (module, qualified name) in both directions: how to reduce an instance for
/// Python (<see cref="Reduce"/>) and how to build one from what Python sent (<see cref="Construct"/>). Register it in
/// a <see cref="PyTypeRegistry"/>; unpickling creates .NET instances only through registered bindings.
/// </summary>
public abstract class PyClassBinding
{
    /// <summary>Initializes a new instance of the <see cref="PyClassBinding"/> class.</summary>
    /// <param name="clrType">The .NET type (exact type: subclasses are not matched).</param>
    /// <param name="pythonClass">The Python class (or factory function) as pickled.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    protected PyClassBinding(Type clrType, PyGlobal pythonClass)
    {
        ArgumentNullException.ThrowIfNull(clrType);
        ArgumentNullException.ThrowIfNull(pythonClass);
        ClrType = clrType;
        PythonClass = pythonClass;
    }

    /// <summary>Gets the .NET type.</summary>
    public Type ClrType { get; }

    /// <summary>Gets the Python class this binding reads and writes.</summary>
    public PyGlobal PythonClass { get; }

    /// <summary>
    /// Returns how Python rebuilds <paramref name="value"/> (<c>__reduce_ex__</c>), e.g.
    /// <c>PyReduce.NewObj(PythonClass, state: new PyDict { ["x"] = value.X })</c>. The pickler memoizes the result
    /// under <paramref name="value"/>, so shared instances stay shared.
    /// </summary>
    /// <param name="value">An instance of <see cref="ClrType"/>.</param>
    /// <returns>The reduce value.</returns>
    public abstract PyReduce Reduce(object value);

    /// <summary>
    /// Builds the .NET value from a complete reduce value read from a pickle whose class (<see cref="PyReduce.ClassGlobal"/>)
    /// is <see cref="PythonClass"/>: arguments, state and items are already converted.
    /// </summary>
    /// <param name="value">The reduce value.</param>
    /// <returns>The .NET value.</returns>
    /// <exception cref="Exception">Any exception is reported as an <see cref="UnpicklingException"/> naming the class.</exception>
    public abstract object? Construct(PyReduce value);
}
