using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// A plain C# object registered by a host, called by reflection: a request's method name matches a public instance
/// method by its C# name or by Python convention (<c>get_count</c> → <c>GetCount</c>); arguments bind by position
/// and by parameter name and are converted from the pickle model (Python int → int/long/..., float → double/float,
/// ...); a returned Task is awaited. <c>public_methods</c> lists the methods in snake_case.
/// </summary>
/// <remarks>
/// Reflection over whatever type a factory returns is what trimming and Native AOT cannot see: it sits behind
/// <see cref="ReflectedObjects.IsSupported"/>, true under the JIT and false in the native library (Multiprocess.Interop
/// published with Native AOT, whose referents are all <see cref="ISharedObject"/>).
/// </remarks>
[RequiresUnreferencedCode("Calls the public methods of any object by reflection.")]
[RequiresDynamicCode("Binds arguments to any method by reflection (arrays of any element type).")]
internal sealed class ReflectedObject(object target) : ISharedObject
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, MethodInfo[]>> s_methods = new();

    public object Target { get; } = target;

    public bool HasMethod(string name) => Methods(Target.GetType()).ContainsKey(Normalize(name));

    public object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (!Methods(Target.GetType()).TryGetValue(Normalize(name), out var candidates))
        {
            throw PyErrors.AttributeError($"'{Target.GetType().Name}' object has no attribute '{name}'");
        }

        Exception? bindError = null;
        foreach (var method in candidates)
        {
            object?[] bound;
            try
            {
                bound = HostArguments.Bind(method, args, kwargs, context);
            }
            catch (PyRaisedException e)
            {
                bindError ??= e;
                continue;
            }

            return Invoke(method, bound);
        }

        throw bindError ?? PyErrors.TypeError($"{name}() arguments do not match");
    }

    public object? GetValue() => Target;

    public string Repr()
    {
        var type = Target.GetType();
        var text = Target.ToString();
        return text is null || text == type.ToString() ? $"<{type.FullName} object>" : text;
    }

    public IEnumerable<string> PublicMethods() =>
        Methods(Target.GetType()).Values.Select(m => SnakeCase(m[0].Name)).Distinct().Order(StringComparer.Ordinal);

    /// <summary>PascalCase → snake_case: <c>GetCount</c> → <c>get_count</c>, <c>ToHTTPString</c> → <c>to_http_string</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                                         || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary)
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static Dictionary<string, MethodInfo[]> Methods(Type type) => s_methods.GetOrAdd(type, static t =>
        t.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => !m.IsSpecialName && !m.IsGenericMethodDefinition && m.DeclaringType != typeof(object))
            .GroupBy(m => Normalize(m.Name))
            .ToDictionary(g => g.Key, g => g.OrderByDescending(m => m.GetParameters().Length).ToArray(), StringComparer.Ordinal));

    private object? Invoke(MethodInfo method, object?[] bound)
    {
        object? result;
        try
        {
            result = method.Invoke(Target, bound);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException is PyRaisedException raised ? raised : new PyRaisedException(PyException.FromException(e.InnerException));
        }

        if (result is Task task)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not PyRaisedException)
            {
                throw new PyRaisedException(PyException.FromException(e));
            }

            var type = task.GetType();
            return type.IsGenericType && type.GetProperty("Result") is { } p && p.PropertyType.Name != "VoidTaskResult" ? p.GetValue(task) : null;
        }

        return result;
    }
}

/// <summary>Whether <see cref="ReflectedObject"/> is part of this build.</summary>
internal static class ReflectedObjects
{
    /// <summary>
    /// Gets whether plain C# objects may be served by reflection: not under Native AOT, whose compiler removes the
    /// branches this guards (dynamic code is never supported there).
    /// </summary>
    [FeatureGuard(typeof(RequiresDynamicCodeAttribute))]
    public static bool IsSupported => RuntimeFeature.IsDynamicCodeSupported;
}
