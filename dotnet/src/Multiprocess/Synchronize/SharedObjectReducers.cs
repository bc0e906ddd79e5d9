using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Shm;

namespace Multiprocess.Synchronize;

/// <summary>
/// Teaches a <see cref="PyTypeRegistry"/> the shared objects of this engine (and adds them to
/// <see cref="ForkingPickler"/>), so that <see cref="PickleSerializer"/> writes them as CPython's ForkingPickler does
/// and reads CPython's pickles back into live objects, reopened by name: SharedMemory, ShareableList (writing), Lock,
/// RLock, Semaphore, BoundedSemaphore, Condition and Event.
/// </summary>
/// <remarks>Reading a pickle then opens semaphores and attaches segments the sender names: register these only in a
/// registry used for peers you trust (the registry is the opt-in; <see cref="PyTypeRegistry.Default"/> stays
/// untouched unless you pass it). A Barrier's state travels as an fd-backed arena, which needs the fd passing of the
/// process start machinery, not a name.</remarks>
/// <example><code>
/// var registry = new PyTypeRegistry();
/// SharedObjectReducers.Register(registry);
/// byte[] bytes = PickleSerializer.Dumps(myLock, new PickleOptions { Registry = registry });
/// var again = (Lock)PickleSerializer.Loads(bytesFromPython, new UnpickleOptions { Registry = registry })!;
/// </code></example>
public static class SharedObjectReducers
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "CPython registers reducers at import; the engine's folders register theirs when the assembly loads, so Reduction needs none of them.")]
    internal static void AddToForkingPickler() => ForkingPickler.AddReducers((registry, package) => Register(registry, package));

    /// <summary>Registers the bindings.</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="package"><c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</param>
    /// <param name="track">Whether segments attached while reading register with the resource tracker (CPython's
    /// receivers do, before 3.13's <c>track=False</c>).</param>
    /// <exception cref="ArgumentException">A type is already registered in <paramref name="registry"/>.</exception>
    public static void Register(PyTypeRegistry registry, string package = "multiprocessing", bool track = true)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var shm = package + ".shared_memory";
        var sync = package + ".synchronize";
        registry.Register<SharedMemory>(shm, "SharedMemory", s => s.Reduce(package), r => SharedMemory.Rebuild(r, track));
        registry.Register<ShareableList>(shm, "ShareableList", l => l.Reduce(package), r =>
            throw PickledShapes.Unexpected("a ShareableList pickled by CPython (a partial, see ShareableList.Rebuild)", r));
        registry.Register<Lock>(sync, "Lock", l => l.Reduce(package), r => (Lock)SemLock.Rebuild(r));
        registry.Register<RLock>(sync, "RLock", l => l.Reduce(package), r => (RLock)SemLock.Rebuild(r));
        registry.Register<Semaphore>(sync, "Semaphore", l => l.Reduce(package), r => (Semaphore)SemLock.Rebuild(r));
        registry.Register<BoundedSemaphore>(sync, "BoundedSemaphore", l => l.Reduce(package), r => (BoundedSemaphore)SemLock.Rebuild(r));
        registry.Register<SemLock>(sync, "SemLock", l => l.Reduce(package), SemLock.Rebuild);
        registry.Register<Condition>(sync, "Condition", c => c.Reduce(package), Condition.Rebuild);
        registry.Register<Event>(sync, "Event", e => e.Reduce(package), Event.Rebuild);
    }
}
