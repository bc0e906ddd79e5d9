using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Multiprocess.Pickle;

namespace Multiprocess.Reduction;

/// <summary>
/// What this folder adds to <see cref="ForkingPickler"/>: the two <c>_DupFd</c> classes a spawning popen writes for an
/// fd (<see cref="SpawningPopen.DupFd"/>), <c>popen_spawn_posix._DupFd</c> (<see cref="InheritedFd"/>, BUILD
/// <c>{'fd': N}</c>) and <c>popen_forkserver._DupFd</c> (<see cref="ForkServerFd"/>, BUILD <c>{'ind': i}</c>). Both are
/// <c>NEWOBJ</c> of the class and one int in the state, so one binding serves both.
/// </summary>
internal static class PopenReducers
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "CPython registers reducers at import; the engine's folders register theirs when the assembly loads.")]
    internal static void AddToForkingPickler() => ForkingPickler.AddReducers(Register);

    private static void Register(PyTypeRegistry registry, string package)
    {
        RegisterDupFd(registry, package, "popen_spawn_posix", "fd", (InheritedFd d) => d.Fd, n => new InheritedFd(n));
        RegisterDupFd(registry, package, "popen_forkserver", "ind", (ForkServerFd d) => d.Index, n => new ForkServerFd(n));
    }

    /// <summary><c>{module}._DupFd</c>: NEWOBJ + BUILD <c>{key: N}</c>.</summary>
    private static void RegisterDupFd<T>(PyTypeRegistry registry, string package, string module, string key, Func<T, int> number, Func<int, T> create)
    {
        registry.Register<T>(
            package + "." + module,
            "_DupFd",
            d => PyReduce.NewObj(PickledShapes.Global(package, module, "_DupFd"), state: new PyDict { [key] = (long)number(d) }),
            r => r.State is PyDict state && state.Get(key) is long n
                ? create(checked((int)n))
                : throw PickledShapes.Unexpected($"NEWOBJ({module}._DupFd) + BUILD {{'{key}': N}}", r));
    }
}
