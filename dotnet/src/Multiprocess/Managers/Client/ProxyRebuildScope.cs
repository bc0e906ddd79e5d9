namespace Multiprocess.Managers;

/// <summary>
/// Collects the proxies rebuilt while one reply is unpickled, so they are increfed after the unpickler returns
/// (on a separate one-shot connection each, as <c>RebuildProxy</c> does) and, for asynchronous calls, without
/// blocking. Outside a scope (a user unpickling with <see cref="BaseManager.TypeRegistry"/>) they are increfed at once.
/// </summary>
internal sealed class ProxyRebuildScope
{
    [ThreadStatic]
    private static ProxyRebuildScope? t_current;

    private ProxyRebuildScope? _previous;
    private List<BaseProxy>? _pending;

    public bool IsEmpty => _pending is null;

    public static ProxyRebuildScope Begin()
    {
        var scope = new ProxyRebuildScope { _previous = t_current };
        t_current = scope;
        return scope;
    }

    /// <summary>Defers the incref of <paramref name="proxy"/> to the current scope; false when there is none.</summary>
    public static bool TryDefer(BaseProxy proxy)
    {
        if (t_current is not { } scope)
        {
            return false;
        }

        (scope._pending ??= []).Add(proxy);
        return true;
    }

    public void End() => t_current = _previous;

    /// <summary>Increfs every rebuilt proxy; if one fails, the ones already increfed are released again and the error is thrown.</summary>
    public void IncrefAll()
    {
        if (_pending is not { } pending)
        {
            return;
        }

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
    public async ValueTask IncrefAllAsync(CancellationToken cancellationToken)
    {
        if (_pending is not { } pending)
        {
            return;
        }

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
    public void DisposeAll()
    {
        if (_pending is { } pending)
        {
            foreach (var proxy in pending)
            {
                proxy.Abandon();
            }
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
