using Multiprocess.Pickle;

namespace Multiprocess.Managers.Protocol;

/// <summary>
/// Tokens and proxies as they travel (spec §3.5–3.6): <c>Token(typeid, address, id)</c> is NEWOBJ + BUILD with a
/// tuple state; a proxy is <c>RebuildProxy(func, token, serializer, kwds)</c>. Both stdlib
/// (<c>multiprocessing.managers</c>) and multiprocess (<c>multiprocess.managers</c>) spellings are recognized; the
/// server writes the stdlib one, which both kinds of client can load.
/// </summary>
internal static class ProxyForms
{
    public const string ManagersModule = "multiprocessing.managers";

    private static readonly PyGlobal s_token = new(ManagersModule, "Token");

    /// <summary>A token for a <c>#PROXY</c> reply (the client replaces its address with its own view of the server's).</summary>
    public static PyReduce Token(string typeId, object? address, string ident) =>
        PyReduce.NewObj(s_token, state: PyTuple.Create(typeId, address, ident));

    /// <summary>Reads a pickled Token.</summary>
    public static bool TryReadToken(object? value, out string typeId, out object? address, out string ident)
    {
        typeId = ident = "";
        address = null;
        if (value is PyReduce { ClassGlobal: { } cls } token && IsManagers(cls, "Token")
            && token.State is PyTuple { Count: 3 } state && state[0] is string t && state[2] is string id)
        {
            typeId = t;
            address = state[1];
            ident = id;
            return true;
        }

        return false;
    }

    /// <summary>Reads a pickled proxy, returning its token.</summary>
    public static bool TryReadProxy(object? value, out PyReduce token)
    {
        token = null!;
        if (value is PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal g } proxy && IsManagers(g, "RebuildProxy")
            && proxy.Args.Count >= 2 && proxy.Args[1] is PyReduce t)
        {
            token = t;
            return true;
        }

        return false;
    }

    /// <summary>Whether a pickle may hold a proxy: cheaper than walking every request's values.</summary>
    public static bool MayContainProxy(ReadOnlySpan<byte> pickle) => pickle.IndexOf("RebuildProxy"u8) >= 0;

    /// <summary>Calls <paramref name="visit"/> with the token of every proxy inside a value (lists, dicts, sets, tuples, objects' state).</summary>
    public static void VisitProxies(object? value, Action<PyReduce> visit)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<object?>();
        stack.Push(value);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (v is null or string or long or double or bool or byte[] || !seen.Add(v))
            {
                continue;
            }

            switch (v)
            {
                case PyTuple t:
                    foreach (var item in t)
                    {
                        stack.Push(item);
                    }

                    break;
                case List<object?> l:
                    foreach (var item in l)
                    {
                        stack.Push(item);
                    }

                    break;
                case PyDict d:
                    foreach (var (k, item) in d)
                    {
                        stack.Push(k);
                        stack.Push(item);
                    }

                    break;
                case PySetBase s:
                    foreach (var item in s)
                    {
                        stack.Push(item);
                    }

                    break;
                case PyReduce r:
                    if (TryReadProxy(r, out var token))
                    {
                        visit(token);
                    }

                    stack.Push(r.Args);
                    stack.Push(r.Kwargs);
                    stack.Push(r.State);
                    if (r.ListItems is not null)
                    {
                        stack.Push(r.ListItems);
                    }

                    foreach (var (k, item) in r.DictItems ?? [])
                    {
                        stack.Push(k);
                        stack.Push(item);
                    }

                    break;
            }
        }
    }

    private static bool IsManagers(PyGlobal g, string name) =>
        g.Name == name && g.Module is ManagersModule or "multiprocess.managers";
}
