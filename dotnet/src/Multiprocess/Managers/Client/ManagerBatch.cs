using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// Several proxy calls sent back to back on one connection before any reply is read (a pipeline). The manager's
/// serve_client loop reads one request, answers it, reads the next, so the replies come back in order and every
/// call still runs exactly as a single call would; what is saved is one round trip's wait (and a thread wake-up on
/// each side) per call. A Python client cannot do this; any CPython or multiprocess manager accepts it.
/// </summary>
/// <remarks>
/// A call that blocks in the manager (a <c>get()</c> on an empty queue, an <c>acquire()</c>) delays the calls after
/// it in the batch: only batch calls that return promptly, or whose order you want anyway.
/// </remarks>
/// <example><code>
/// var batch = manager.Batch();
/// for (var i = 0; i &lt; 100; i++) { batch.Add(list, "append", PyTuple.Create((long)i)); }
/// batch.Add(dict, "__getitem__", PyTuple.Create("k"));
/// object?[] results = batch.Execute();          // 101 results, in order
/// </code></example>
public sealed class ManagerBatch
{
    private readonly BaseManager _manager;
    private readonly List<(BaseProxy Proxy, string Method, PyTuple Args, PyDict Kwds)> _calls = [];

    internal ManagerBatch(BaseManager manager) => _manager = manager;

    /// <summary>Gets the number of calls added.</summary>
    public int Count => _calls.Count;

    /// <summary>Adds a call (what <see cref="BaseProxy.CallMethod"/> would send).</summary>
    /// <param name="proxy">A proxy of this manager (all calls of a batch go to one manager address).</param>
    /// <param name="method">The method name.</param>
    /// <param name="args">The positional arguments; null for none.</param>
    /// <param name="kwargs">The keyword arguments; null for none.</param>
    /// <returns>This batch.</returns>
    /// <exception cref="ArgumentException">The proxy belongs to another manager or address than the batch's first call.</exception>
    /// <exception cref="ObjectDisposedException">The proxy was disposed.</exception>
    public ManagerBatch Add(BaseProxy proxy, string method, PyTuple? args = null, PyDict? kwargs = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(method);
        ObjectDisposedException.ThrowIf(proxy.IsDisposed, proxy);
        if (!ReferenceEquals(proxy.Manager, _manager) || (_calls.Count > 0 && !ReferenceEquals(_calls[0].Proxy.Endpoint, proxy.Endpoint)))
        {
            throw new ArgumentException($"{proxy} is not a proxy of the batch's manager at {(_calls.Count > 0 ? _calls[0].Proxy.Token.Address : _manager.Address)}", nameof(proxy));
        }

        _calls.Add((proxy, method, args ?? PyTuple.Empty, kwargs ?? ManagerProtocol.NoKeywords));
        return this;
    }

    /// <summary>Sends every call, then reads every reply; the batch is then empty again.</summary>
    /// <returns>The results, in the order the calls were added (proxies for <c>#PROXY</c> replies).</returns>
    /// <exception cref="AggregateException">Some calls failed (each inner exception is what the single call would throw); the others completed (proxies they returned are released).</exception>
    /// <exception cref="IOException">The connection failed (the manager exited): the outcome of unanswered calls is unknown.</exception>
    public object?[] Execute()
    {
        var calls = Take();
        if (calls.Count == 0)
        {
            return [];
        }

        var endpoint = calls[0].Proxy.Endpoint;
        var pooled = endpoint.SyncCallsArePooled;
        var channel = endpoint.Rent();
        var results = new object?[calls.Count];
        List<Exception>? errors = null;
        try
        {
            channel.SendMany(Requests(calls), new CallDescription($"a batch of {calls.Count} calls", null));
            for (var i = 0; i < calls.Count; i++)
            {
                var (proxy, method, _, _) = calls[i];
                try
                {
                    var reply = channel.ReceiveReply(new CallDescription(method, proxy.Token));
                    results[i] = proxy.HandleReply(reply, method);
                }
                catch (Exception e) when (!channel.Broken)
                {
                    // The reply was read whole (an error, or one that failed to unpickle): the stream is in step.
                    (errors ??= []).Add(e);
                }
            }
        }
        catch
        {
            channel.MarkBroken(); // replies may be left unread
            throw;
        }
        finally
        {
            endpoint.Return(channel, pooled);
        }

        return errors is null ? results : throw Failed(results, errors);
    }

    /// <summary>Sends every call, then reads every reply, asynchronously (over a pooled connection).</summary>
    /// <param name="cancellationToken">Cancels the batch (its connection is closed; calls already sent may still run).</param>
    /// <returns>The results, in order.</returns>
    /// <exception cref="AggregateException">Some calls failed; the others completed.</exception>
    /// <exception cref="IOException">The connection failed.</exception>
    public async ValueTask<object?[]> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var calls = Take();
        if (calls.Count == 0)
        {
            return [];
        }

        var endpoint = calls[0].Proxy.Endpoint;
        var channel = await endpoint.RentAsync(cancellationToken).ConfigureAwait(false);
        var results = new object?[calls.Count];
        List<Exception>? errors = null;
        try
        {
            await channel.SendManyAsync(Requests(calls), new CallDescription($"a batch of {calls.Count} calls", null), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < calls.Count; i++)
            {
                var (proxy, method, _, _) = calls[i];
                try
                {
                    var reply = await channel.ReceiveReplyAsync(new CallDescription(method, proxy.Token), cancellationToken).ConfigureAwait(false);
                    results[i] = await proxy.HandleReplyAsync(reply, method, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!channel.Broken && e is not OperationCanceledException)
                {
                    (errors ??= []).Add(e);
                }
            }
        }
        catch
        {
            channel.MarkBroken();
            throw;
        }
        finally
        {
            endpoint.Return(channel, pooled: true);
        }

        return errors is null ? results : throw Failed(results, errors);
    }

    /// <summary>The results of the calls that succeeded are lost with the exception: release the proxies among them.</summary>
    private static AggregateException Failed(object?[] results, List<Exception> errors)
    {
        foreach (var proxy in results.OfType<BaseProxy>())
        {
            proxy.Dispose();
        }

        return new AggregateException($"{errors.Count} of {results.Length} batched calls failed", errors);
    }

    private static List<(string, string, PyTuple, PyDict)> Requests(List<(BaseProxy Proxy, string Method, PyTuple Args, PyDict Kwds)> calls) =>
        calls.ConvertAll(c => (c.Proxy.Token.Id, c.Method, c.Args, c.Kwds));

    private List<(BaseProxy Proxy, string Method, PyTuple Args, PyDict Kwds)> Take()
    {
        var calls = new List<(BaseProxy, string, PyTuple, PyDict)>(_calls);
        _calls.Clear();
        return calls;
    }
}
