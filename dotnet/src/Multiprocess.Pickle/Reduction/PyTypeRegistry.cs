
namespace Multiprocess.Pickle;

/// <summary>
/// Which .NET types map to which Python classes (<see cref="PyClassBinding"/>), and which Python classes are
/// exceptions (read as <see cref="PyException"/>). The pickle analogue of copyreg's dispatch table plus
/// <c>find_class</c>, without reflection: a pickle never makes the engine instantiate a .NET type that was not
/// registered here. Thread-safe; registration is meant for start-up.
/// </summary>
/// <example><code>
/// var registry = new PyTypeRegistry();
/// registry.Register&lt;Point&gt;("geometry", "Point",
///     reduce: p => PyReduce.NewObj(new PyGlobal("geometry", "Point"), state: new PyDict { ["x"] = p.X, ["y"] = p.Y }),
///     construct: r => new Point((long)((PyDict)r.State!)["x"]!, (long)((PyDict)r.State!)["y"]!));
/// var bytes = PickleSerializer.Dumps(new Point(1, 2), new PickleOptions { Registry = registry });
/// </code></example>
public sealed class PyTypeRegistry
{
    private readonly object _gate = new();
    private Dictionary<Type, PyClassBinding> _byType = [];
    private Dictionary<(string, string), PyClassBinding> _byClass = [];
    private HashSet<(string, string)> _exceptions = [];

    /// <summary>Gets the registry that options use unless told otherwise (like copyreg's global table).</summary>
    public static PyTypeRegistry Default { get; } = new();

    /// <summary>Gets a value indicating whether any class binding is registered (lets the unpickler skip work).</summary>
    internal bool HasBindings => _byClass.Count > 0;

    /// <summary>Binds <typeparamref name="T"/> to the Python class <paramref name="module"/>.<paramref name="qualName"/>.</summary>
    /// <typeparam name="T">The .NET type: matched exactly when pickling, and for subclasses that have no binding of
    /// their own.</typeparam>
    /// <param name="module">The Python module.</param>
    /// <param name="qualName">The class's qualified name.</param>
    /// <param name="reduce">Turns an instance into what Python needs to rebuild it.</param>
    /// <param name="construct">Builds an instance from what Python sent (arguments, state and items already converted).</param>
    /// <exception cref="ArgumentException">The type or the class is already registered.</exception>
    public void Register<T>(string module, string qualName, Func<T, PyReduce> reduce, Func<PyReduce, T> construct)
    {
        ArgumentNullException.ThrowIfNull(reduce);
        ArgumentNullException.ThrowIfNull(construct);
        Register(new DelegateClassBinding<T>(new PyGlobal(module, qualName), reduce, construct));
    }

    /// <summary>Adds a binding.</summary>
    /// <param name="binding">The binding.</param>
    /// <exception cref="ArgumentException">Its type or class is already registered.</exception>
    public void Register(PyClassBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        lock (_gate)
        {
            var key = (binding.PythonClass.Module, binding.PythonClass.Name);
            if (_byType.ContainsKey(binding.ClrType) || _byClass.ContainsKey(key))
            {
                throw new ArgumentException($"{binding.ClrType} or {binding.PythonClass} is already registered", nameof(binding));
            }

            _byType = new Dictionary<Type, PyClassBinding>(_byType) { [binding.ClrType] = binding };
            _byClass = new Dictionary<(string, string), PyClassBinding>(_byClass) { [key] = binding };
        }
    }

    /// <summary>Declares a Python class as an exception class, so it is read as <see cref="PyException"/>.</summary>
    /// <param name="module">The module, e.g. <c>mypackage.errors</c>.</param>
    /// <param name="name">The class name.</param>
    public void RegisterException(string module, string name)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            _exceptions = new HashSet<(string, string)>(_exceptions) { (module, name) };
        }
    }

    /// <summary>Returns whether the class is a known exception: a builtin one, queue.Empty/Full, multiprocessing's, or registered.</summary>
    /// <param name="cls">The class.</param>
    /// <returns>True for exception classes.</returns>
    public bool IsException(PyGlobal cls)
    {
        ArgumentNullException.ThrowIfNull(cls);
        return KnownExceptions.Contains(cls.Module, cls.Name) || _exceptions.Contains((cls.Module, cls.Name));
    }

    /// <summary>The binding of <paramref name="type"/>, else of its nearest registered base class: a binding of an
    /// abstract base serves every subclass, e.g. each closed generic type of a family (<c>RawValue&lt;int&gt;</c>,
    /// <c>RawValue&lt;double&gt;</c>) that pickles as one Python callable.</summary>
    internal bool TryGetByType(Type type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PyClassBinding? binding)
    {
        var byType = _byType;
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            if (byType.TryGetValue(t, out binding))
            {
                return true;
            }
        }

        binding = null;
        return false;
    }

    internal bool TryGetByClass(PyGlobal cls, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PyClassBinding? binding) =>
        _byClass.TryGetValue((cls.Module, cls.Name), out binding);
}
