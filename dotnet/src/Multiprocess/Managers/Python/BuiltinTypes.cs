using Multiprocess.Pickle;

namespace Multiprocess.Managers.Python;

/// <summary>
/// Recognizes a reference to a builtin type in a pickle, whichever pickler wrote it: the stdlib writes the global
/// <c>builtins.slice</c>; dill (the <c>multiprocess</c> library's pickler) writes <c>dill._dill._load_type('slice')</c>
/// and some values as <c>dill._dill._eval_repr('range(1, 9, 2)')</c>.
/// </summary>
internal static class BuiltinTypes
{
    /// <summary>Whether <paramref name="callable"/> stands for <c>builtins.&lt;name&gt;</c>.</summary>
    public static bool Is(object? callable, string name) => callable switch
    {
        PyGlobal g => g.Is("builtins", name) || (g.Module == "__builtin__" && g.Name == name),
        PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal loader, Args: { Count: 1 } args } =>
            loader.Is("dill._dill", "_load_type") && args[0] is string s && s == name,
        _ => false,
    };

    /// <summary>Reads <c>range(...)</c> from either spelling: <c>builtins.range(start, stop, step)</c> or dill's <c>_eval_repr('range(...)')</c>.</summary>
    public static bool TryRange(PyReduce reduce, out long start, out long stop, out long step)
    {
        start = 0;
        stop = 0;
        step = 1;
        if (Is(reduce.Callable, "range") && reduce.Args.Count is >= 1 and <= 3)
        {
            var a = reduce.Args;
            (start, stop, step) = a.Count switch
            {
                1 => (0, PyValues.AsIndex(a[0]), 1),
                2 => (PyValues.AsIndex(a[0]), PyValues.AsIndex(a[1]), 1),
                _ => (PyValues.AsIndex(a[0]), PyValues.AsIndex(a[1]), PyValues.AsIndex(a[2])),
            };
            return step != 0;
        }

        if (reduce.Callable is PyGlobal g && g.Is("dill._dill", "_eval_repr") && reduce.Args.Count == 1
            && reduce.Args[0] is string text && text.StartsWith("range(", StringComparison.Ordinal) && text.EndsWith(')'))
        {
            var parts = text[6..^1].Split(',', StringSplitOptions.TrimEntries);
            var numbers = new long[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!long.TryParse(parts[i], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out numbers[i]))
                {
                    return false;
                }
            }

            (start, stop, step) = numbers.Length switch
            {
                1 => (0, numbers[0], 1),
                2 => (numbers[0], numbers[1], 1),
                3 => (numbers[0], numbers[1], numbers[2]),
                _ => (0, 0, 0),
            };
            return step != 0;
        }

        return false;
    }
}
