using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// The C ABI the Python shim calls (<c>python/multiprocess_dotnet/_engine.py</c>). Every control request and reply is
/// one pickle carried as pointer + length, so the ABI stays four functions however much the shim grows, and no
/// Python object ever crosses element by element (docs/native.md: a function pointer costs ~0.1 µs; pythonnet's
/// <c>bytes</c> → <c>byte[]</c> 85 ns per byte).
/// </summary>
/// <remarks>
/// The shim calls these through ctypes <c>CFUNCTYPE</c>, which releases the GIL: a request may block (waiting for a
/// server to stop) without stopping Python threads. Nothing here throws across the ABI; errors come back as a
/// pickled Python exception with status 1.
/// </remarks>
public static unsafe class EntryPoints
{
    /// <summary>Runs one control request: <c>pickle((verb, *args))</c> in, <c>pickle(result)</c> or <c>pickle(exception)</c> out.</summary>
    /// <param name="request">The request pickle.</param>
    /// <param name="length">Its length in bytes.</param>
    /// <param name="reply">Receives the reply pickle, allocated here: give it back with <see cref="Free"/>.</param>
    /// <param name="replyLength">Receives the reply's length.</param>
    /// <returns>0 when the reply is the result, 1 when it is a Python exception instance to raise.</returns>
    [UnmanagedCallersOnly(EntryPoint = "mpd_call")]
    public static int Call(byte* request, int length, byte** reply, int* replyLength)
    {
        int status;
        byte[] bytes;
        try
        {
            var value = PickleSerializer.Loads(new ReadOnlySpan<byte>(request, length), ControlRequests.UnpickleOptions);
            bytes = PickleSerializer.Dumps(ControlRequests.Dispatch(value));
            status = 0;
        }
        catch (Exception e)
        {
            bytes = PickleSerializer.Dumps(PyException.FromException(e));
            status = 1;
        }

        var buffer = (byte*)NativeMemory.Alloc((nuint)Math.Max(bytes.Length, 1));
        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
        *reply = buffer;
        *replyLength = bytes.Length;
        return status;
    }

    /// <summary>Frees a reply of <see cref="Call"/>.</summary>
    /// <param name="buffer">The reply pointer.</param>
    [UnmanagedCallersOnly(EntryPoint = "mpd_free")]
    public static void Free(byte* buffer) => NativeMemory.Free(buffer);

    /// <summary>
    /// Installs the Python function that runs objects the shim's managers hold in Python (type ids registered with a
    /// Python callable): <c>int callback(request, length, context)</c>, which answers through <see cref="Reply"/>.
    /// </summary>
    /// <param name="callback">The function (a ctypes <c>CFUNCTYPE</c>, which takes the GIL itself), or null to remove it.</param>
    [UnmanagedCallersOnly(EntryPoint = "mpd_set_callback")]
    public static void SetCallback(delegate* unmanaged<byte*, int, nint, int> callback) => PythonCallback.Install(callback);

    /// <summary>Hands the reply of a Python callback back to the request waiting for it (the bytes are copied).</summary>
    /// <param name="context">The context the callback was given.</param>
    /// <param name="data">The reply pickle.</param>
    /// <param name="length">Its length.</param>
    /// <returns>0, or -1 for an unknown context.</returns>
    [UnmanagedCallersOnly(EntryPoint = "mpd_reply")]
    public static int Reply(nint context, byte* data, int length) => PythonCallback.Reply(context, new ReadOnlySpan<byte>(data, length));

    /// <summary>
    /// Runs this process as a manager server for the Python process that started it (<see cref="ServerProcess"/>):
    /// the entry of <c>_engine/multiprocess-dotnet-server</c>, the launcher the shim starts under the fork start
    /// method. Returns when the server stopped or the owner closed <paramref name="controlFd"/>.
    /// </summary>
    /// <param name="controlFd">The control socket (inherited).</param>
    /// <param name="hostFd">The socket on which the owner runs Python referents (inherited).</param>
    /// <param name="ownerPid">The owner's pid, for messages.</param>
    /// <returns>The process's exit status: 0.</returns>
    [UnmanagedCallersOnly(EntryPoint = "mpd_serve")]
    public static int Serve(int controlFd, int hostFd, int ownerPid)
    {
        try
        {
            return ServerProcess.Run(controlFd, hostFd, ownerPid);
        }
        catch (Exception e)
        {
            // The server process's last word, on its stderr (the program's, inherited), as CPython's server process
            // prints a traceback when serve_forever fails; no logger exists before the server does.
            Console.Error.WriteLine($"multiprocess-dotnet-server: {e}");
            return 1;
        }
    }

    /// <summary>Loads the engine's assemblies from this assembly's folder when the host (hostfxr's default context) cannot find them.</summary>
    /// <remarks>A module initializer in a library on purpose: this assembly is the entry of a component that hostfxr loads into a host with no app folder of ours.</remarks>
#pragma warning disable CA2255 // ModuleInitializer in a library: see the remark.
    [ModuleInitializer]
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Under Native AOT (no assembly files) it returns before reading Location.")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Under Native AOT (nothing to load) it returns before loading; the JIT build is not trimmed.")]
    internal static void ResolveFromOwnFolder()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            return;     // the native library: every assembly is compiled in
        }

        var folder = Path.GetDirectoryName(typeof(EntryPoints).Assembly.Location);
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var path = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
        };
    }
#pragma warning restore CA2255
}
