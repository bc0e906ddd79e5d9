using System.Collections.Concurrent;
using Multiprocess.Pickle;

namespace Multiprocess.Reduction;

/// <summary>
/// CPython's <c>reduction.ForkingPickler</c> registry: how the objects that travel to a spawned child or through a
/// queue are written and read (docs/protocols.md §2.1). Each engine folder adds its own reducers when the
/// assembly loads, as CPython's modules call <c>reduction.register</c> at import: Processes (Connections and the
/// resource sharer's fds), Queues (Queue, JoinableQueue, SimpleQueue) and Synchronize (<see cref="Synchronize.SharedObjectReducers"/>:
/// locks, conditions, events, shared memory). So this folder depends on none of them, and they all depend on it.
/// </summary>
public static class ForkingPickler
{
    private static readonly ConcurrentDictionary<string, PyTypeRegistry> s_registries = new(StringComparer.Ordinal);
    private static readonly List<Action<PyTypeRegistry, string>> s_reducers = [];

    /// <summary>The shared registry for <paramref name="package"/> with every binding of
    /// <see cref="Register"/>; queues and processes use it unless told otherwise.</summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The registry.</returns>
    /// <exception cref="ArgumentException"><paramref name="package"/> is neither.</exception>
    public static PyTypeRegistry GetRegistry(string package = "multiprocessing")
    {
        if (package is not ("multiprocessing" or "multiprocess"))
        {
            throw new ArgumentException($"package must be 'multiprocessing' or 'multiprocess', not '{package}'", nameof(package));
        }

        return s_registries.GetOrAdd(package, p =>
        {
            var registry = new PyTypeRegistry();
            Register(registry, p);
            return registry;
        });
    }

    /// <summary>Registers the bindings in <paramref name="registry"/> (for a registry that also holds your own types).</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <exception cref="ArgumentException">A type is already registered.</exception>
    public static void Register(PyTypeRegistry registry, string package = "multiprocessing")
    {
        ArgumentNullException.ThrowIfNull(registry);
        Action<PyTypeRegistry, string>[] reducers;
        lock (s_reducers)
        {
            reducers = [.. s_reducers];
        }

        foreach (var register in reducers)
        {
            register(registry, package);
        }
    }

    /// <summary>CPython's <c>reduction.register</c>, for a folder's set of bindings: called from a module initializer.</summary>
    internal static void AddReducers(Action<PyTypeRegistry, string> register)
    {
        lock (s_reducers)
        {
            s_reducers.Add(register);
        }
    }
}
