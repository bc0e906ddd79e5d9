namespace Multiprocess.Pickle;

/// <summary>A <see cref="PyClassBinding"/> made of two delegates (what <see cref="PyTypeRegistry.Register{T}"/> creates).</summary>
/// <typeparam name="T">The .NET type.</typeparam>
internal sealed class DelegateClassBinding<T>(PyGlobal pythonClass, Func<T, PyReduce> reduce, Func<PyReduce, T> construct)
    : PyClassBinding(typeof(T), pythonClass)
{
    public override PyReduce Reduce(object value) => reduce((T)value);

    public override object? Construct(PyReduce value) => construct(value);
}
