using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>What the transport does after answering a one-shot request.</summary>
internal enum FollowUp
{
    /// <summary>Close the connection.</summary>
    Close,

    /// <summary><c>accept_connection</c>: keep the connection and run <c>serve_client</c> on it.</summary>
    ServeClient,

    /// <summary><c>shutdown</c>: send a second <c>('#RETURN', None)</c> as CPython does, close, stop the server.</summary>
    Shutdown,
}

/// <summary>The public functions of one-shot connections (spec §3.2): <c>Server._handle_request</c>.</summary>
internal sealed partial class Server
{
    private static readonly PySignature s_ident = new("incref", ["ident"], [PySignature.Required]);
    private static readonly PySignature s_token = new("get_methods", ["token"], [PySignature.Required]);
    private static readonly PySignature s_name = new("accept_connection", ["name"], [PySignature.Required]);
    private static readonly PySignature s_segment = new("track_segment", ["segment_name"], [PySignature.Required]);

    /// <summary>Handles the one request of a new connection and returns the reply.</summary>
    /// <param name="request">The unpickled request <c>(ignored, funcname, args, kwds)</c>.</param>
    /// <param name="followUp">What to do after sending the reply.</param>
    /// <param name="clientName">For <c>accept_connection</c>, the client's name.</param>
    /// <param name="dialect">The client's CPython generation (<see cref="ManagerDialects.OfRequest"/>): which type ids and exposed names it sees.</param>
    public PyTuple HandleRequest(object? request, out FollowUp followUp, out string clientName, ManagerDialect dialect = ManagerDialect.Python38)
    {
        followUp = FollowUp.Close;
        clientName = "";
        try
        {
            var (_, function, args, kwargs) = Unpack(request);
            if (function is not string name || !IsPublic(name))
            {
                throw new PyRaisedException(PyException.Builtin("AssertionError", $"{PyRepr.Repr(function)} unrecognized"));
            }

            switch (name)
            {
                case "create":
                    if (args.Count == 0)
                    {
                        throw PyErrors.TypeError("Server.create() missing 1 required positional argument: 'typeid'");
                    }

                    var (ident, exposed) = Create(args[0], new PyTuple(args.AsSpan()[1..].ToArray()), kwargs, null, dialect);
                    return Reply.Return(PyTuple.Create(ident, exposed));
                case "incref":
                    Objects.Incref(Ident(s_ident.Bind(args, kwargs)[0]));
                    return Reply.ReturnNone;
                case "decref":
                    Objects.Decref(Ident(s_ident.Bind(args, kwargs)[0]));
                    return Reply.ReturnNone;
                case "get_methods":
                    var token = s_token.Bind(args, kwargs)[0];
                    return ProxyForms.TryReadToken(token, out _, out _, out var id)
                        ? Reply.Return(Objects.GetMethods(id))
                        : throw PyErrors.AttributeError($"'{PyRepr.TypeName(token)}' object has no attribute 'id'");
                case "debug_info":
                    PySignature.None(name).BindNone(args, kwargs);
                    return Reply.Return(Objects.DebugInfo());
                case "number_of_objects":
                    PySignature.None(name).BindNone(args, kwargs);
                    return Reply.Return((long)Objects.NumberOfObjects);
                case "dummy":
                    PySignature.None(name).BindNone(args, kwargs);
                    return Reply.ReturnNone;
                case "shutdown":
                    PySignature.None(name).BindNone(args, kwargs);
                    followUp = FollowUp.Shutdown;
                    Segments?.UnlinkAll();
                    OnShutdownRequested();
                    return Reply.ReturnNone;
                case "accept_connection":
                    var client = s_name.Bind(args, kwargs)[0];
                    clientName = client as string ?? PyRepr.Str(client);
                    followUp = FollowUp.ServeClient;
                    return Reply.ReturnNone;
                case "track_segment":
                    Segments!.Track(SegmentName(s_segment.Bind(args, kwargs)[0]));
                    return Reply.ReturnNone;
                case "release_segment":
                    Segments!.Release(SegmentName(s_segment.Bind(args, kwargs)[0]));
                    return Reply.ReturnNone;
                case "list_segments":
                    PySignature.None(name).BindNone(args, kwargs);
                    return Reply.Return(Segments!.List());
                default:
                    throw new InvalidOperationException($"public function {name} has no handler");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            followUp = FollowUp.Close;
            return Reply.Traceback("_handle_request", e);
        }
    }

    /// <summary>CPython's <c>Server.create</c>: make the object, register it with refcount 1.</summary>
    /// <exception cref="KeyNotFoundException">Unknown type id.</exception>
    public (string Ident, PyTuple Exposed) Create(object? typeId, PyTuple args, PyDict kwargs, SharedCallContext? context, ManagerDialect dialect = ManagerDialect.Python38)
    {
        if (typeId is not string t || !TryGetType(t, out var type) || type.Since > dialect)
        {
            throw new PyRaisedException(PyException.Builtin("KeyError", typeId));
        }

        object? made;
        if (type.Factory is null)
        {
            if (kwargs.Count != 0 || args.Count != 1)
            {
                throw PyErrors.ValueError("Without callable, must have one non-keyword argument");
            }

            made = args[0] is ISharedObject ? args[0] : new DataReferent(args[0]);
        }
        else
        {
            made = type.Factory(args, kwargs, context ?? NewContext("create"));
        }

        return Objects.Add(type, made, dialect);
    }

    /// <summary>Registers a method's result as a new shared object of <paramref name="typeId"/> (method_to_typeid).</summary>
    private (string Ident, PyTuple Exposed) CreateFromResult(string typeId, object? result, SharedCallContext context)
    {
        if (!TryGetType(typeId, out var type))
        {
            throw new PyRaisedException(PyException.Builtin("KeyError", typeId));
        }

        // CPython calls create(conn, typeid, res): a type id with a callable gets the result as its one argument.
        var made = type.Factory is null ? result : type.Factory(PyTuple.Create(result), new PyDict(), context);
        return Objects.Add(type, made);
    }

    private bool IsPublic(string name) => name switch
    {
        "shutdown" or "create" or "accept_connection" or "get_methods" or "debug_info" or "number_of_objects"
            or "dummy" or "incref" or "decref" => true,
        "track_segment" or "release_segment" or "list_segments" => Segments is not null,
        _ => false,
    };

    private static string Ident(object? ident) => ident as string ?? throw new PyRaisedException(PyException.Builtin("KeyError", ident));

    private static string SegmentName(object? name) => name as string ?? throw PyErrors.TypeError($"segment name must be str, not {PyRepr.TypeName(name)}");

    /// <summary><c>ignore, funcname, args, kwds = request</c> then <c>func(*args, **kwds)</c>'s argument checks.</summary>
    internal static (object? First, object? Function, PyTuple Args, PyDict Kwargs) Unpack(object? request)
    {
        ReadOnlySpan<object?> items = request switch
        {
            PyTuple t => t.AsSpan(),
            List<object?> l => l.ToArray(),
            _ => throw PyErrors.TypeError($"cannot unpack non-iterable {PyRepr.TypeName(request)} object"),
        };
        if (items.Length != 4)
        {
            throw PyErrors.ValueError(items.Length < 4
                ? $"not enough values to unpack (expected 4, got {items.Length})"
                : "too many values to unpack (expected 4)");
        }

        var args = items[2] switch
        {
            PyTuple t => t,
            List<object?> l => new PyTuple([.. l]),
            var other => throw PyErrors.TypeError($"argument after * must be an iterable, not {PyRepr.TypeName(other)}"),
        };
        var kwargs = items[3] switch
        {
            PyDict d => d,
            var other => throw PyErrors.TypeError($"argument after ** must be a mapping, not {PyRepr.TypeName(other)}"),
        };
        return (items[0], items[1], args, kwargs);
    }
}
