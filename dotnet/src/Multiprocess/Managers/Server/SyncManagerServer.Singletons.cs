using Multiprocess.Managers.Python;

namespace Multiprocess.Managers.Server;

/// <summary>Type ids that hand out one shared object: CPython's remote-manager pattern.</summary>
public sealed partial class SyncManagerServer
{
    /// <summary>
    /// Registers <paramref name="typeId"/> so that every <c>manager.&lt;typeId&gt;()</c> returns a proxy of one and the
    /// same object of the type id <paramref name="of"/> (made on first use, without arguments), as CPython's
    /// "remote manager" example does: <c>queue = queue.Queue(); QueueManager.register('get_queue', callable=lambda: queue)</c>.
    /// The object outlives its proxies: a later call returns it again, with what it holds.
    /// </summary>
    /// <param name="typeId">The type id clients call (after <c>QueueManager.register('get_queue')</c> on their side).</param>
    /// <param name="of">A registered type id that makes the object, e.g. <c>Queue</c>, <c>dict</c>, <c>Namespace</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="of"/> is not a registered type id with a factory, or a name is empty.</exception>
    public void RegisterSingleton(string typeId, string of)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeId);
        ArgumentException.ThrowIfNullOrEmpty(of);
        if (!_server.TryGetType(of, out var source) || source.Factory is null)
        {
            throw new ArgumentException($"'{of}' is not a type id this server can make (try Queue, dict, list, Namespace, Lock, ...)", nameof(of));
        }

        var gate = new object();
        object? made = null;
        _server.Register(new TypeIdEntry(
            typeId,
            (args, kwargs, context) =>
            {
                PySignature.None(typeId).BindNone(args, kwargs);
                lock (gate)
                {
                    return made ??= source.Factory(Pickle.PyTuple.Empty, new Pickle.PyDict(), context);
                }
            },
            source.Exposed,
            source.MethodToTypeid) { Exposed314 = source.Exposed314 });
    }
}
