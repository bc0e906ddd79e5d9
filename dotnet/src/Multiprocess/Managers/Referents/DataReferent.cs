using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// A plain value registered as a shared object (<c>create(typeid, value)</c> for a type id without a callable, as
/// CPython allows): it has no methods of its own, but <c>#GETVALUE</c>, <c>__repr__</c> and <c>__str__</c> work.
/// </summary>
internal sealed class DataReferent(object? value) : Referent
{
    public object? Value { get; } = value;

    public override bool HasMethod(string name) => false;

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context) =>
        throw NoSuchMethod(PyRepr.TypeName(Value), name);

    public override object? GetValue() => Value;

    public override string Repr() => PyRepr.Repr(Value);

    public override string Str() => PyRepr.Str(Value);
}
