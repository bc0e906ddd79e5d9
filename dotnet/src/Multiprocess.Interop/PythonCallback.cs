using System.Runtime.InteropServices;
using Multiprocess.Managers.Hosting;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// Calls into the hosting CPython: one function pointer the shim installed, one pickle each way. Used by
/// <see cref="InProcessPython"/> for objects that only Python can run (a class registered with <c>register</c>).
/// </summary>
/// <remarks>
/// Sequence of one call:
/// <code>
///   .NET serving thread                      CPython (ctypes callback: takes the GIL)
///   pickle((verb, ...))  ── callback(p, n, ctx) ─▶  pickle.loads, run it
///                        ◀── Reply(ctx, p, n) ──    pickle.dumps(result or exception)
///   status 0: result; 1: exception instance; 2: the reply could not be made (text)
/// </code>
/// </remarks>
internal static unsafe class PythonCallback
{
    private static delegate* unmanaged<byte*, int, nint, int> s_callback;

    public static bool IsInstalled => s_callback != null;

    public static void Install(delegate* unmanaged<byte*, int, nint, int> callback) => s_callback = callback;

    public static int Reply(nint context, ReadOnlySpan<byte> data)
    {
        if (context == 0 || GCHandle.FromIntPtr(context).Target is not ReplyBox box)
        {
            return -1;
        }

        box.Data = data.ToArray();
        return 0;
    }

    /// <summary>Runs <paramref name="request"/> in Python and returns its unpickled result.</summary>
    /// <exception cref="PyRaisedException">Python raised: the exception instance travels on to the client.</exception>
    /// <exception cref="InvalidOperationException">No Python callback is installed (the shim unloaded).</exception>
    public static object? Invoke(PyTuple request)
    {
        var callback = s_callback;
        if (callback == null)
        {
            throw new InvalidOperationException($"No Python interpreter is attached to run '{request[0]}' (the multiprocess_dotnet shim is not loaded, or was shut down)");
        }

        var bytes = PickleSerializer.Dumps(request);
        var box = new ReplyBox();
        var handle = GCHandle.Alloc(box);
        int status;
        try
        {
            fixed (byte* p = bytes)
            {
                status = callback(p, bytes.Length, GCHandle.ToIntPtr(handle));
            }
        }
        finally
        {
            handle.Free();
        }

        return PythonReply.Decode(status, box.Data, $"{request[0]}");
    }

    private sealed class ReplyBox
    {
        public byte[]? Data { get; set; }
    }
}
