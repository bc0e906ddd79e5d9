using Multiprocess.Pickle;

namespace Multiprocess.Managers.Protocol;

/// <summary>
/// Tokens and proxies as they travel (docs/protocols.md §3.5–3.6): a token is written and read by
/// <see cref="Protocol.Token"/>; a proxy is <c>RebuildProxy(func, token, serializer, kwds)</c>. Both stdlib
/// (<c>multiprocessing.managers</c>) and multiprocess (<c>multiprocess.managers</c>) spellings are recognized; the
/// server writes the stdlib one, which both kinds of client can load.
/// </summary>
internal static class ProxyForms
{
    /// <summary>Reads a pickled proxy, returning its token.</summary>
    public static bool TryReadProxy(object? value, out PyReduce token)
    {
        token = null!;
        if (value is PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal g } proxy && g.Name == "RebuildProxy" && ManagerModules.IsManagersModule(g.Module)
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
}
