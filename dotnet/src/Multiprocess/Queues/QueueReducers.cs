using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Queues;

/// <summary>
/// What this folder adds to <see cref="ForkingPickler"/>: <see cref="Queue"/>, <see cref="JoinableQueue"/> and
/// <see cref="SimpleQueue"/> by their state tuples (queues.py <c>__getstate__</c>), which a spawned child reads back
/// into live queues.
/// </summary>
internal static class QueueReducers
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "CPython registers reducers at import; the engine's folders register theirs when the assembly loads, so Reduction needs none of them.")]
    internal static void AddToForkingPickler() => ForkingPickler.AddReducers(Register);

    private static void Register(PyTypeRegistry registry, string package)
    {
        registry.Register<Queue>(package + ".queues", "Queue", q => q.Reduce(), Queue.Rebuild);
        registry.Register<JoinableQueue>(package + ".queues", "JoinableQueue", q => q.Reduce(), JoinableQueue.Rebuild);
        registry.Register<SimpleQueue>(package + ".queues", "SimpleQueue", q => q.Reduce(), SimpleQueue.Rebuild);
    }
}
