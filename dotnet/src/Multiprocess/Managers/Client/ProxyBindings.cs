using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// The pickle bindings that make proxies travel: reading <c>RebuildProxy(…)</c> (from <c>multiprocessing.managers</c>
/// or <c>multiprocess.managers</c>) builds a live proxy; writing a proxy gives <see cref="BaseProxy.ToPython"/>.
/// </summary>
internal static class ProxyBindings
{
    private static readonly Dictionary<string, Func<ProxyArgs, BaseProxy>> s_builtin = new(StringComparer.Ordinal)
    {
        ["DictProxy"] = a => new DictProxy(a),
        ["ListProxy"] = a => new ListProxy(a),
        ["SetProxy"] = a => new SetProxy(a),
        ["BaseListProxy"] = a => new ListProxy(a),
        ["ValueProxy"] = a => new ValueProxy(a),
        ["ArrayProxy"] = a => new ArrayProxy(a),
        ["NamespaceProxy"] = a => new NamespaceProxy(a),
        ["AcquirerProxy"] = a => new AcquirerProxy(a),
        ["ConditionProxy"] = a => new ConditionProxy(a),
        ["EventProxy"] = a => new EventProxy(a),
        ["BarrierProxy"] = a => new BarrierProxy(a),
        ["PoolProxy"] = a => new PoolProxy(a),
        ["IteratorProxy"] = a => new IteratorProxy(a),
    };

    private static readonly Type[] s_builtinTypes =
    [
        typeof(DictProxy), typeof(ListProxy), typeof(SetProxy), typeof(ValueProxy), typeof(ArrayProxy), typeof(NamespaceProxy),
        typeof(AcquirerProxy), typeof(ConditionProxy), typeof(EventProxy), typeof(BarrierProxy), typeof(PoolProxy),
        typeof(IteratorProxy), typeof(QueueProxy), typeof(AsyncResultProxy), typeof(AutoProxy),
    ];

    /// <summary>The factory for a proxy class of <c>multiprocessing.managers</c>, or null (AutoProxy and unknown classes go by type id).</summary>
    public static Func<ProxyArgs, BaseProxy>? BuiltinFactory(string className) => s_builtin.GetValueOrDefault(className);

    public static void Install(BaseManager manager)
    {
        var registry = manager.TypeRegistry;
        registry.Register(new RebuildReader(typeof(StdlibMarker), ManagerModules.Multiprocessing, manager));
        registry.Register(new RebuildReader(typeof(MultiprocessMarker), ManagerModules.Multiprocess, manager));
        foreach (var type in s_builtinTypes)
        {
            RegisterWriter(registry, type);
            manager.MarkBound(type);
        }
    }

    public static void RegisterWriter(PyTypeRegistry registry, Type proxyType) => registry.Register(new ProxyWriter(proxyType));

    /// <summary>Reads <c>RebuildProxy(func, token, serializer, kwds)</c>. Its CLR type is a marker: nothing is ever written through it.</summary>
    private sealed class RebuildReader(Type marker, string module, BaseManager manager)
        : PyClassBinding(marker, new PyGlobal(module, "RebuildProxy"))
    {
        public override PyReduce Reduce(object value) => throw new NotSupportedException("RebuildProxy markers are never pickled");

        public override object? Construct(PyReduce value) => manager.RebuildProxy(value);
    }

    /// <summary>
    /// Writes one proxy type. Bindings need a distinct Python class each, so the class recorded here is a name no
    /// pickle contains; what is written is the RebuildProxy value.
    /// </summary>
    private sealed class ProxyWriter(Type proxyType)
        : PyClassBinding(proxyType, new PyGlobal("multiprocess.dotnet", "proxy:" + proxyType.FullName))
    {
        public override PyReduce Reduce(object value) => ((BaseProxy)value).ToPython();

        public override object? Construct(PyReduce value) => throw new NotSupportedException($"{PythonClass} is never read");
    }

    private sealed class StdlibMarker;

    private sealed class MultiprocessMarker;
}
