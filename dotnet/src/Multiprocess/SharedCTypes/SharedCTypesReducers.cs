using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Shm;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// What this folder adds to <see cref="ForkingPickler"/> (the <c>reduction.register</c> calls of heap.py and
/// sharedctypes.py): arenas as <c>heap.rebuild_arena(size, DupFd)</c>, <c>heap.BufferWrapper</c>, ctypes objects as
/// <c>sharedctypes.rebuild_ctype(type, wrapper, length)</c> and their synchronized wrappers as
/// <c>sharedctypes.synchronized(obj, lock)</c>. Both directions: C# objects pickle as CPython's, and CPython's pickles
/// arrive as <see cref="RawValue{T}"/>, <see cref="RawArray{T}"/>, <see cref="SharedValue{T}"/>,
/// <see cref="SharedArray{T}"/> over the same memory.
/// </summary>
/// <remarks>An arena travels as an fd, so these objects cross only where fds do: in the arguments of a child being
/// started (<c>PythonProcess</c>, a <c>Pool</c> initializer), as CPython's <c>assert_spawning</c> requires.</remarks>
public static class SharedCTypesReducers
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "CPython registers reducers at import; the engine's folders register theirs when the assembly loads, so Reduction needs none of them.")]
    internal static void AddToForkingPickler() => ForkingPickler.AddReducers(Register);

    /// <summary>Registers the bindings (a binding of the abstract bases serves every element type).</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="package"><c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</param>
    /// <exception cref="ArgumentException">A type is already registered in <paramref name="registry"/>.</exception>
    public static void Register(PyTypeRegistry registry, string package = "multiprocessing")
    {
        ArgumentNullException.ThrowIfNull(registry);
        var heap = package + ".heap";
        var sharedctypes = package + ".sharedctypes";
        registry.Register<Arena>(heap, "rebuild_arena", a => BufferWrapper.ReduceArena(a, package), BufferWrapper.RebuildArena);
        registry.Register<BufferWrapper>(heap, "BufferWrapper", w => w.Reduce(package), BufferWrapper.Rebuild);
        registry.Register<CTypeObject>(sharedctypes, "rebuild_ctype", o => o.Reduce(package), CTypeObject.Rebuild);
        registry.Register<SynchronizedBase>(sharedctypes, "synchronized", s => s.Reduce(package), SynchronizedBase.Rebuild);
    }
}
