using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// Checks a value before it becomes a dict key. Builtin values hash and compare as in Python (the pickle model's
/// <see cref="PyObjectComparer.Python"/>). Instances of user classes (<see cref="PyReduce"/>, also inside tuples and
/// frozensets) are refused: Python would call their <c>__hash__</c>/<c>__eq__</c>, which this server cannot run,
/// and comparing them by identity would make every lookup from another request miss.
/// </summary>
internal static class DictKeys
{
    /// <exception cref="PyRaisedException">TypeError for unhashable or user-class keys.</exception>
    public static object? Check(object? key)
    {
        switch (key)
        {
            case null or string or long or bool or double or byte[]:
                return key;
            case List<object?> or PyDict or PySet or PyByteArray:
                throw PyErrors.TypeError($"unhashable type: '{PyRepr.TypeName(key)}'");
            case PyTuple tuple:
                foreach (var item in tuple)
                {
                    Check(item);
                }

                return key;
            case PyFrozenSet set:
                foreach (var item in set)
                {
                    Check(item);
                }

                return key;
            case PyGlobal or PySingleton:
                return key;
            case PyReduce or PickleBuffer or PyPersistentId:
                throw PyErrors.CannotRunUserCode(key, "hash");
            default:
                return key;
        }
    }
}
