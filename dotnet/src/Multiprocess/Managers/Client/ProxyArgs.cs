using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// What a proxy is built from (Python's <c>BaseProxy.__init__(token, serializer, manager, authkey, exposed)</c>):
/// pass it on to <see cref="BaseProxy(ProxyArgs)"/> in a proxy class of your own. The manager increfs the new
/// proxy after the constructor returns.
/// </summary>
/// <example><code>
/// public sealed class CounterProxy(ProxyArgs args) : BaseProxy(args)
/// {
///     public long Increment() => (long)CallMethod("increment")!;
/// }
/// manager.Register("Counter", a => new CounterProxy(a));
/// </code></example>
public sealed class ProxyArgs
{
    internal ProxyArgs(Token token, BaseManager manager, ManagerEndpoint endpoint, PyTuple? exposed, PyGlobal? pythonClass)
    {
        Token = token;
        Manager = manager;
        Endpoint = endpoint;
        Exposed = exposed;
        PythonClass = pythonClass;
    }

    /// <summary>Gets the token of the shared object.</summary>
    public Token Token { get; }

    /// <summary>Gets the manager client the proxy belongs to.</summary>
    public BaseManager Manager { get; }

    /// <summary>Gets the method names the manager exposes for the object, when known (from <c>create</c>, a <c>#PROXY</c> reply, or an AutoProxy's pickle).</summary>
    public PyTuple? Exposed { get; }

    /// <summary>Gets where the proxy's calls go.</summary>
    internal ManagerEndpoint Endpoint { get; }

    /// <summary>Gets the proxy class named in the pickle the proxy was rebuilt from (written back unchanged), or null.</summary>
    internal PyGlobal? PythonClass { get; }
}
