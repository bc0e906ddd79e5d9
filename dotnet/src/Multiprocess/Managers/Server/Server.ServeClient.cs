using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>One request of a persistent proxy connection (docs/protocols.md §3.3): CPython's <c>Server.serve_client</c> loop body.</summary>
internal sealed partial class Server
{
    /// <summary>Calls the method a request names and builds the reply.</summary>
    /// <param name="request">The unpickled request <c>(ident, methodname, args, kwds)</c>.</param>
    /// <param name="context">The client's connection.</param>
    /// <exception cref="SessionAbortedException">The call was blocked and the client hung up (no reply is possible).</exception>
    public PyTuple ServeRequest(object? request, SharedCallContext context) =>
        ServeRequest(request, context, out var result) ?? Reply.Return(result);

    /// <summary>
    /// Calls the method a request names; the reply, or null for <c>('#RETURN', result)</c>, which the caller sends
    /// without building a tuple per call (<see cref="SyncManagerServer"/>'s sessions reuse one).
    /// </summary>
    /// <param name="request">The unpickled request <c>(ident, methodname, args, kwds)</c>.</param>
    /// <param name="context">The client's connection.</param>
    /// <param name="result">The method's result when the reply is null.</param>
    /// <exception cref="SessionAbortedException">The call was blocked and the client hung up (no reply is possible).</exception>
    public PyTuple? ServeRequest(object? request, SharedCallContext context, out object? result)
    {
        result = null;
        try
        {
            var (ident, method, args, kwargs) = ManagerRequest.FromPython(request);
            return ServeCall(ident, method, args, kwargs, lent: false, context, last: null, out result);
        }
        catch (UnserializableException e)
        {
            return Reply.Unserializable("serve_client", e.PythonError);
        }
        catch (Exception e) when (e is not SessionAbortedException and not OutOfMemoryException)
        {
            return Reply.Traceback("serve_client", e);
        }
    }

    /// <summary>
    /// Serves a request decoded by <see cref="RequestUnpickler"/> (the stock shape, its kwds empty), whose args
    /// tuple the decoder reuses for the connection's next request: referents that read their arguments only
    /// during the call get it as it is, any other a copy (<see cref="ReadsArgumentsOnly"/>).
    /// </summary>
    /// <param name="ident">The object's id.</param>
    /// <param name="methodName">The method name.</param>
    /// <param name="args">The positional arguments, lent for the call.</param>
    /// <param name="context">The client's connection.</param>
    /// <param name="last">The connection's last call targets (<see cref="LastCalled"/>).</param>
    /// <param name="result">The method's result when the reply is null.</param>
    /// <returns>The reply, or null for <c>('#RETURN', result)</c>.</returns>
    /// <exception cref="SessionAbortedException">The call was blocked and the client hung up (no reply is possible).</exception>
    public PyTuple? ServeRequest(string ident, string methodName, PyTuple args, SharedCallContext context, LastCalled last, out object? result)
    {
        result = null;
        try
        {
            return ServeCall(ident, methodName, args, ManagerRequest.NoKeywords, lent: true, context, last, out result);
        }
        catch (UnserializableException e)
        {
            return Reply.Unserializable("serve_client", e.PythonError);
        }
        catch (Exception e) when (e is not SessionAbortedException and not OutOfMemoryException)
        {
            return Reply.Traceback("serve_client", e);
        }
    }

    /// <summary>serve_client's body after <c>ident, methodname, args, kwds = request</c>: look up, check exposed, call, reply.</summary>
    private PyTuple? ServeCall(object? ident, object? method, PyTuple args, PyDict kwargs, bool lent, SharedCallContext context, LastCalled? last, out object? result)
    {
        result = null;
        var version = Objects.Version;
        SharedEntry entry;
        string name;
        string? typeId;
        bool lendable;
        if (last is not null && last.TryGet((string)ident!, (string)method!, version, out entry, out typeId))
        {
            // The connection's last calls named these very strings, and the table has not changed since.
            name = (string)method!;
            lendable = true;
        }
        else
        {
            if (ident is not string id || !Objects.TryGet(id, out entry!))
            {
                throw new PyRaisedException(PyException.Builtin("KeyError", ident));
            }

            if (method is not string n || !entry.Exposed.Contains(n) || !entry.Object.HasMethod(n))
            {
                return Fallback(entry, method);
            }

            name = n;
            typeId = entry.MethodToTypeid is not null && entry.MethodToTypeid.TryGetValue(name, out var t) && t.Length > 0 ? t : null;
            lendable = ReadsArgumentsOnly(entry.Object);
            if (lendable)
            {
                last?.Remember(id, entry, version, name, typeId);
            }
        }

        if (lent && !lendable)
        {
            // A registered or Python-hosted object may keep what it is given (a C# method storing its params, a
            // callback): give it its own args tuple and kwds dict, as the general unpickler would have.
            args = PyTuple.Create(args.AsSpan());
            kwargs = new PyDict();
        }

        try
        {
            result = entry.Object.CallMethod(name, args, kwargs, context);
        }
        catch (PyRaisedException e)
        {
            return Reply.Error(e.Value);
        }
        catch (RaisedValueException e)
        {
            return PyTuple.Create(ReplyKind.Error, e.Value);
        }
        catch (Exception e) when (e is not SessionAbortedException and not UnserializableException and not PythonHostLostException)
        {
            return Reply.Error(PyException.FromException(e));
        }

        if (typeId is not null)
        {
            var (rident, rexposed) = CreateFromResult(typeId, result, context);
            return Reply.Proxy(rexposed, Token.Write(ManagerLibrary.Multiprocessing, typeId, Address, rident));
        }

        return null;
    }

    /// <summary>
    /// The referents audited to read args and kwds only while <c>CallMethod</c> runs and to keep neither the
    /// tuple nor the dict (the items they store, e.g. a dict's value, are theirs to keep): they may be given the
    /// decoder's reused args tuple and the shared empty kwds.
    /// </summary>
    private static bool ReadsArgumentsOnly(ISharedObject referent) =>
        referent is SharedDict or SharedList or SharedQueue or LockReferent or SharedSemaphore or SharedCondition or SharedEvent;

    /// <summary>
    /// CPython's <c>fallback_mapping</c>, used when the method is not exposed or missing: <c>__str__</c>,
    /// <c>__repr__</c> and <c>#GETVALUE</c> work on every object; anything else is a remote AttributeError.
    /// </summary>
    private static PyTuple Fallback(SharedEntry entry, object? method) => method switch
    {
        "__str__" => Reply.Return(entry.Object.Str()),
        "__repr__" => Reply.Return(entry.Object.Repr()),
        ManagerRequest.GetValue => Reply.Return(entry.Object.GetValue()),
        string name when entry.Exposed.Contains(name) => Reply.Traceback(
            "serve_client", $"AttributeError: '{TypeName(entry)}' object has no attribute '{name}'"),
        _ => Reply.Traceback(
            "serve_client",
            $"AttributeError: method {PyRepr.Repr(method)} of <class '{TypeName(entry)}'> object is not in exposed={ExposedRepr(entry)}"),
    };

    private static string TypeName(SharedEntry entry) => entry.Object switch
    {
        SharedDict => "dict",
        SharedList => "list",
        SharedSet => "set",
        SharedIterator => "dict_keyiterator",
        SharedQueue => "queue.Queue",
        SharedArray => "array.array",
        SharedNamespace => "multiprocessing.managers.Namespace",
        SharedValue => "multiprocessing.managers.Value",
        DataReferent d => PyRepr.TypeName(d.Value),
        ReflectedObject r => r.Target.GetType().FullName ?? r.Target.GetType().Name,
        _ => entry.TypeId,
    };

    private static string ExposedRepr(SharedEntry entry) =>
        "{" + string.Join(", ", entry.Exposed.Order(StringComparer.Ordinal).Select(n => PyRepr.Repr(n))) + "}";
}
