using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.XmlRpc;

namespace Multiprocess.Fuzz;

/// <summary>
/// <c>dispatch</c>: the manager server's request handling (Managers/Server/Server.Public.cs and Server.ServeClient.cs,
/// CPython's <c>_handle_request</c> and <c>serve_client</c>) on a fresh server per input. The input is frames
/// (<c>!i n</c> + payload), each a pickled request or an XML-RPC document as stock clients send them; the first ones
/// go to the public functions (<c>create</c>, <c>incref</c>, <c>accept_connection</c>...), and after an
/// <c>accept_connection</c> the rest are method calls on shared objects. Object ids are random per server, so a
/// request whose ident is a small int <c>k</c> means "the k-th object this input created" (a harness convention that
/// lets the fuzzer reach the methods). Each reply must serialize as the session would send it. The server stops
/// after 200 ms, which ends any call that blocks.
/// </summary>
internal static class DispatchTarget
{
    public static FuzzTarget Create() => new("dispatch", "manager Server.HandleRequest / ServeRequest on pickled and XML-RPC requests", Run, Seeds);

    private static void Run(byte[] input)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var server = new Server(stop.Token);
        var idents = new List<string>();
        SharedCallContext? context = null;
        try
        {
            foreach (var frame in Inputs.Frames(input))
            {
                var xml = XmlRpcSerializer.IsXml(frame);
                object? request;
                try
                {
                    request = xml ? XmlRpcSerializer.Loads(frame) : PickleSerializer.Loads(frame);
                }
                catch (Exception e) when (e is UnpicklingException or EndOfStreamException or NotSupportedException or XmlRpcException)
                {
                    return; // the session answers with a traceback and closes
                }

                PyTuple reply;
                if (context is null)
                {
                    var dialect = xml ? ManagerDialect.Python314 : ManagerDialects.OfRequest(frame);
                    reply = server.HandleRequest(request, out var followUp, out var clientName, dialect);
                    if (followUp == FollowUp.ServeClient)
                    {
                        context = server.NewContext(clientName);
                        context.SetReplySender(_ => { });
                    }
                }
                else
                {
                    reply = server.ServeRequest(Rewrite(request, idents), context);
                }

                Note(reply, idents);
                Serialize(reply, xml);
            }
        }
        catch (SessionAbortedException)
        {
            // A call blocked until the server stopped: the session ends without a reply, as designed.
        }
    }

    /// <summary>A request <c>(k, method, args, kwds)</c> with a small int k names the k-th object created.</summary>
    private static object? Rewrite(object? request, List<string> idents) =>
        request is PyTuple { Count: 4 } t && t[0] is long k && k >= 0 && k < idents.Count
            ? PyTuple.Create(idents[(int)k], t[1], t[2], t[3])
            : request;

    private static void Note(PyTuple reply, List<string> idents)
    {
        if (reply.Count == 2 && reply[0] is ReplyKind.Return && reply[1] is PyTuple { Count: 2 } created && created[0] is string ident)
        {
            idents.Add(ident);
        }
        else if (reply.Count == 2 && reply[0] is ReplyKind.Proxy && reply[1] is PyTuple { Count: 2 } proxy
                 && Token.TryRead(proxy[1], out _, out _, out var id))
        {
            idents.Add(id);
        }
    }

    /// <summary>As the session sends a reply (SyncManagerServer.Session.Send): what cannot be serialized is answered
    /// as <c>#UNSERIALIZABLE</c>, which must serialize.</summary>
    private static void Serialize(PyTuple reply, bool xml)
    {
        if (xml)
        {
            try
            {
                _ = XmlRpcSerializer.Dumps(reply);
            }
            catch (XmlRpcException e)
            {
                _ = XmlRpcSerializer.Dumps(Reply.Unserializable("serve_client", e.Message));
            }
        }
        else
        {
            try
            {
                _ = PickleSerializer.Dumps(reply);
            }
            catch (Exception e) when (e is PicklingException or NotSupportedException or InvalidCastException or ArgumentException)
            {
                _ = PickleSerializer.Dumps(Reply.Unserializable("serve_client", e.Message));
            }
        }
    }

    private static IEnumerable<(string, byte[])> Seeds(string repo)
    {
        static byte[] Req(object? ident, string method, PyTuple args, PyDict? kwds = null) =>
            Inputs.Frame(PickleSerializer.Dumps(PyTuple.Create(ident, method, args, kwds ?? new PyDict())));
        static PyTuple Args(params object?[] items) => new(items);
        var accept = Req(null, "accept_connection", Args("fuzz"));

        yield return ("dict", [.. Req(null, "create", Args("dict")), .. accept, .. Req(0L, "__setitem__", Args("a", 1L)),
            .. Req(0L, "__getitem__", Args("a")), .. Req(0L, "keys", Args()), .. Req(0L, "update", Args(new PyDict { ["b"] = 2.5 })),
            .. Req(0L, "__len__", Args()), .. Req(0L, "#GETVALUE", Args())]);
        yield return ("list", [.. Req(null, "create", Args("list", new List<object?> { 1L, "x", null })), .. accept,
            .. Req(0L, "append", Args(3L)), .. Req(0L, "__getitem__", Args(-1L)), .. Req(0L, "sort", Args()), .. Req(0L, "__repr__", Args())]);
        yield return ("queue", [.. Req(null, "create", Args("Queue")), .. accept, .. Req(0L, "put", Args("item")),
            .. Req(0L, "qsize", Args()), .. Req(0L, "get", Args(false)), .. Req(0L, "get", Args(true, 0.01))]);
        yield return ("lock-value", [.. Req(null, "create", Args("Lock")), .. Req(null, "create", Args("Value", "i", 0L)), .. accept,
            .. Req(0L, "acquire", Args()), .. Req(0L, "release", Args()), .. Req(1L, "set", Args(5L)), .. Req(1L, "get", Args())]);
        yield return ("namespace-iter", [.. Req(null, "create", Args("Namespace")), .. Req(null, "create", Args("dict")), .. accept,
            .. Req(0L, "__setattr__", Args("x", 1L)), .. Req(0L, "__getattribute__", Args("x")), .. Req(1L, "__iter__", Args())]);
        yield return ("public", [.. Req(null, "create", Args("Event")), .. Req(null, "incref", Args("0")), .. Req(null, "number_of_objects", Args()),
            .. Req(null, "debug_info", Args()), .. Req(null, "dummy", Args())]);
        yield return ("xml", [.. Inputs.Frame(XmlRpcSerializer.Dumps(PyTuple.Create(null, "create", Args("dict"), new PyDict()))),
            .. Inputs.Frame(XmlRpcSerializer.Dumps(PyTuple.Create(null, "accept_connection", Args("x"), new PyDict())))]);
    }
}
