namespace Multiprocess.Managers.Client;

/// <summary>
/// Collects the proxies rebuilt while one reply is unpickled, so they are increfed after the unpickler returns
/// (on a separate one-shot connection each, as <c>RebuildProxy</c> does) and, for asynchronous calls, without
/// blocking. Outside a scope (a user unpickling with <see cref="BaseManager.TypeRegistry"/>) they are increfed at once.
/// Nothing is allocated for the usual reply that holds no proxy.
/// </summary>
internal readonly struct ProxyRebuildScope
{
    [ThreadStatic]
    private static bool t_active;

    [ThreadStatic]
    private static List<BaseProxy>? t_pending;

    private readonly bool _previousActive;
    private readonly List<BaseProxy>? _previousPending;

    private ProxyRebuildScope(bool previousActive, List<BaseProxy>? previousPending)
    {
        _previousActive = previousActive;
        _previousPending = previousPending;
    }

    /// <summary>Starts collecting on this thread (the unpickler runs synchronously inside).</summary>
    public static ProxyRebuildScope Begin()
    {
        var scope = new ProxyRebuildScope(t_active, t_pending);
        t_active = true;
        t_pending = null;
        return scope;
    }

    /// <summary>Defers the incref of <paramref name="proxy"/> to the current scope; false when there is none.</summary>
    public static bool TryDefer(BaseProxy proxy)
    {
        if (!t_active)
        {
            return false;
        }

        (t_pending ??= []).Add(proxy);
        return true;
    }

    /// <summary>Stops collecting and returns the rebuilt proxies, or null when there were none.</summary>
    public List<BaseProxy>? End()
    {
        var pending = t_pending;
        t_active = _previousActive;
        t_pending = _previousPending;
        return pending;
    }

    /// <summary>Increfs every rebuilt proxy; if one fails, the ones already increfed are released again and the error is thrown.</summary>
    public static void IncrefAll(List<BaseProxy> pending)
    {
        for (var i = 0; i < pending.Count; i++)
        {
            try
            {
                pending[i].Attach(incref: true);
            }
            catch
            {
                Unwind(pending, i);
                throw;
            }
        }
    }

    /// <summary>The asynchronous <see cref="IncrefAll"/>.</summary>
    public static async ValueTask IncrefAllAsync(List<BaseProxy> pending, CancellationToken cancellationToken)
    {
        for (var i = 0; i < pending.Count; i++)
        {
            try
            {
                await pending[i].AttachAsync(incref: true, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Unwind(pending, i);
                throw;
            }
        }
    }

    /// <summary>Drops the rebuilt proxies when the reply failed to unpickle: none was increfed, so none decrefs.</summary>
    public static void Abandon(List<BaseProxy>? pending)
    {
        foreach (var proxy in pending ?? [])
        {
            proxy.Abandon();
        }
    }

    private static void Unwind(List<BaseProxy> pending, int failed)
    {
        for (var j = 0; j < failed; j++)
        {
            pending[j].Dispose();
        }

        for (var j = failed; j < pending.Count; j++)
        {
            pending[j].Abandon();
        }
    }
}
