using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Reflection;
using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>Binds a Python call to a C# method's parameters, converting values from the pickle object model.</summary>
[RequiresDynamicCode("Makes arrays of any parameter's element type.")]
internal static class HostArguments
{
    /// <exception cref="PyRaisedException">TypeError when the call does not fit the method.</exception>
    public static object?[] Bind(MethodInfo method, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        var parameters = method.GetParameters();
        var values = new object?[parameters.Length];
        var set = new bool[parameters.Length];
        var positional = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].ParameterType == typeof(SharedCallContext))
            {
                values[i] = context;
                set[i] = true;
            }
            else if (positional < args.Count)
            {
                values[i] = Convert(args[positional++], parameters[i]);
                set[i] = true;
            }
        }

        if (positional < args.Count)
        {
            throw PyErrors.TypeError($"{method.Name}() takes {positional} positional arguments but {args.Count} were given");
        }

        foreach (var (key, value) in kwargs)
        {
            var name = key as string ?? throw PyErrors.TypeError("keywords must be strings");
            var index = Array.FindIndex(parameters, p => Matches(p.Name, name));
            if (index < 0)
            {
                throw PyErrors.TypeError($"{method.Name}() got an unexpected keyword argument '{name}'");
            }

            if (set[index])
            {
                throw PyErrors.TypeError($"{method.Name}() got multiple values for argument '{name}'");
            }

            values[index] = Convert(value, parameters[index]);
            set[index] = true;
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (!set[i])
            {
                values[i] = parameters[i].HasDefaultValue
                    ? parameters[i].DefaultValue
                    : throw PyErrors.TypeError($"{method.Name}() missing required argument '{parameters[i].Name}'");
            }
        }

        return values;
    }

    private static bool Matches(string? parameter, string pythonName) =>
        parameter is not null && string.Equals(
            parameter.Replace("_", "", StringComparison.Ordinal),
            pythonName.Replace("_", "", StringComparison.Ordinal),
            StringComparison.OrdinalIgnoreCase);

    private static object? Convert(object? value, ParameterInfo parameter)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        if (value is null)
        {
            return !parameter.ParameterType.IsValueType || Nullable.GetUnderlyingType(parameter.ParameterType) is not null
                ? null
                : throw Mismatch(value, parameter);
        }

        if (type.IsInstanceOfType(value))
        {
            return value;
        }

        try
        {
            switch (value)
            {
                case long or bool or BigInteger when type.IsEnum:
                    return Enum.ToObject(type, PyValues.AsIndex(value));
                case string s when type.IsEnum:
                    return Enum.Parse(type, s, ignoreCase: true);
                case long or BigInteger or bool when IsInteger(type):
                    return System.Convert.ChangeType(value is bool b ? (b ? 1L : 0L) : value is long l ? l : (object)(long)(BigInteger)value, type, System.Globalization.CultureInfo.InvariantCulture);
                case long or bool when type == typeof(BigInteger):
                    return new BigInteger(PyValues.AsIndex(value));
                case long or double or bool when type == typeof(double) || type == typeof(float) || type == typeof(decimal):
                    return System.Convert.ChangeType(PyValues.AsDouble(value), type, System.Globalization.CultureInfo.InvariantCulture);
                case double seconds when type == typeof(TimeSpan):
                    return TimeSpan.FromSeconds(seconds);
                case long whole when type == typeof(TimeSpan):
                    return TimeSpan.FromSeconds(whole);
                case PyTuple or List<object?> when type.IsArray:
                    var items = PyIteration.ToList(value, null);
                    var array = Array.CreateInstance(type.GetElementType()!, items.Count);
                    for (var i = 0; i < items.Count; i++)
                    {
                        array.SetValue(System.Convert.ChangeType(items[i], type.GetElementType()!, System.Globalization.CultureInfo.InvariantCulture), i);
                    }

                    return array;
            }
        }
        catch (Exception e) when (e is OverflowException or InvalidCastException or FormatException or ArgumentException)
        {
            throw PyErrors.TypeError($"argument '{parameter.Name}': cannot convert {PyRepr.Repr(value)} to {type.Name} ({e.Message})");
        }

        throw Mismatch(value, parameter);
    }

    private static bool IsInteger(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(sbyte)
        || t == typeof(uint) || t == typeof(ulong) || t == typeof(ushort);

    private static PyRaisedException Mismatch(object? value, ParameterInfo parameter) =>
        PyErrors.TypeError($"argument '{parameter.Name}' must be {parameter.ParameterType.Name}, not {PyRepr.TypeName(value)}");
}
