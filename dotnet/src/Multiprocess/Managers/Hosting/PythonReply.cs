using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>Reads a reply of the Python referent contract: a status and a pickle (docs/python-host.md).</summary>
internal static class PythonReply
{
    /// <summary>Gets the unpickling options: replies come from the server's own interpreter, so they are trusted.</summary>
    public static UnpickleOptions Options { get; } = new() { Security = PickleSecurity.Trusted };

    /// <summary>Status 0: the result; 1: a pickled exception instance, raised; 2: a text (the reply could not be pickled).</summary>
    /// <exception cref="PyRaisedException">Python raised.</exception>
    public static object? Decode(int status, ReadOnlySpan<byte> pickle, string verb)
    {
        var reply = pickle.IsEmpty ? null : PickleSerializer.Loads(pickle, Options);
        return status switch
        {
            0 => reply,
            1 => throw new PyRaisedException(AsException(reply)),
            _ => throw new PyRaisedException(PyException.Builtin("RuntimeError", reply as string ?? $"the Python side failed on '{verb}' (status {status})")),
        };
    }

    /// <summary>The exception Python raised; one whose class is not named by a global (pickled by value) becomes a RuntimeError naming it.</summary>
    private static PyException AsException(object? reply)
    {
        if (reply is PyException e)
        {
            return e;
        }

        try
        {
            if (reply is PyReduce r)
            {
                return PyException.FromReduce(r);
            }
        }
        catch (ArgumentException)
        {
        }

        return PyException.Builtin("RuntimeError", $"Python raised {PyRepr.Repr(reply)}");
    }
}
