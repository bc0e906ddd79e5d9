namespace Multiprocess.Celery;

/// <summary>
/// A <c>Pool</c>-shaped facade over a Celery cluster, so that code written against the local mixed
/// <c>Multiprocess.Pooling.Pool</c> moves to a cluster by changing its constructor: the same method names and
/// shapes (<c>Apply</c>, <c>ApplyAsync</c>, <c>Map</c>, <c>StarMap</c>, <c>Imap</c>), tasks named by the function,
/// results in order, a failed task's exception thrown (<see cref="Results.CeleryTaskException"/>).
/// </summary>
/// <remarks>
/// A chunk size above 1 sends each chunk as one <c>celery.starmap</c> task (celery/app/builtins.py), which Python
/// workers and C# workers (<see cref="Worker.CeleryWorker"/>) both run by calling the named task per item.
/// </remarks>
public sealed class CeleryPool : IDisposable
{
    private readonly bool _ownsClient;

    /// <summary>Initializes a new instance of the <see cref="CeleryPool"/> class.</summary>
    /// <param name="brokerUrl">The broker (redis:// or amqp://).</param>
    /// <param name="backendUrl">The result backend (see <see cref="CeleryClient(string, string?)"/>).</param>
    public CeleryPool(string brokerUrl, string? backendUrl = null)
        : this(new CeleryClient(brokerUrl, backendUrl), ownsClient: true)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CeleryPool"/> class over a client.</summary>
    /// <param name="client">The client.</param>
    /// <param name="ownsClient">Whether disposing the pool disposes the client.</param>
    public CeleryPool(CeleryClient client, bool ownsClient = false)
    {
        Client = client ?? throw new ArgumentNullException(nameof(client));
        _ownsClient = ownsClient;
    }

    /// <summary>Gets the client.</summary>
    public CeleryClient Client { get; }

    /// <summary>Gets or sets how long one result may take (infinite, as <c>Pool.map</c>, by default).</summary>
    public TimeSpan Timeout { get; set; } = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>Gets or sets the options every task is sent with (queue, serializer, priority...).</summary>
    public SendOptions Options { get; set; } = new();

    /// <summary>Runs one task and waits for its result.</summary>
    /// <param name="function">The task name.</param>
    /// <param name="args">Positional arguments.</param>
    /// <param name="kwargs">Keyword arguments.</param>
    /// <returns>The result.</returns>
    public object? Apply(string function, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null) =>
        Send(function, args, kwargs).Get(Timeout);

    /// <summary>Sends one task; the returned task completes with its result.</summary>
    /// <param name="function">The task name.</param>
    /// <param name="args">Positional arguments.</param>
    /// <param name="kwargs">Keyword arguments.</param>
    /// <returns>The result, when ready.</returns>
    public Task<object?> ApplyAsync(string function, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null)
    {
        var r = Send(function, args, kwargs);
        return Task.Factory.StartNew(() => r.Get(Timeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Calls the task once per item (<c>function(item)</c>) across the cluster.</summary>
    /// <param name="function">The task name.</param>
    /// <param name="iterable">The items.</param>
    /// <param name="chunksize">Items per message (1 when null).</param>
    /// <returns>The results, in order.</returns>
    public IReadOnlyList<object?> Map(string function, IEnumerable<object?> iterable, int? chunksize = null) =>
        [.. Imap(function, iterable, chunksize ?? 1)];

    /// <summary>Calls the task once per argument list (<c>function(*args)</c>).</summary>
    /// <param name="function">The task name.</param>
    /// <param name="iterable">The argument lists.</param>
    /// <param name="chunksize">Items per message (1 when null).</param>
    /// <returns>The results, in order.</returns>
    public IReadOnlyList<object?> StarMap(string function, IEnumerable<IEnumerable<object?>> iterable, int? chunksize = null)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        return [.. Run(function, iterable.Select(a => (IReadOnlyList<object?>)[.. a]), chunksize ?? 1)];
    }

    /// <summary>Like <see cref="Map"/>, yielding each result as soon as it and those before it are ready.</summary>
    /// <param name="function">The task name.</param>
    /// <param name="iterable">The items.</param>
    /// <param name="chunksize">Items per message.</param>
    /// <returns>The results, in order.</returns>
    public IEnumerable<object?> Imap(string function, IEnumerable<object?> iterable, int chunksize = 1)
    {
        ArgumentNullException.ThrowIfNull(iterable);
        return Run(function, iterable.Select(item => (IReadOnlyList<object?>)[item]), chunksize);
    }

    /// <summary>Disposes the client when owned.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            Client.Dispose();
        }
    }

    private IEnumerable<object?> Run(string function, IEnumerable<IReadOnlyList<object?>> argLists, int chunksize)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunksize, 1);
        if (chunksize == 1)
        {
            // Sent eagerly (as Pool.imap feeds its task queue), then read in order.
            var results = argLists.Select(a => Send(function, a, null)).ToList();
            return results.Select(r => r.Get(Timeout));
        }

        var chunks = argLists.Chunk(chunksize)
            .Select(chunk => Send("celery.starmap", [Signature(function), chunk.Select(a => (object?)a.ToList()).ToList()], null))
            .ToList();
        return chunks.SelectMany(r => (IEnumerable<object?>)(r.Get(Timeout) as System.Collections.IEnumerable ?? throw new FormatException($"celery.starmap {r.Id} returned no list")).Cast<object?>());
    }

    private AsyncResult Send(string function, IEnumerable<object?>? args, IReadOnlyDictionary<string, object?>? kwargs) =>
        Client.SendTask(function, args, kwargs, new SendOptions
        {
            Queue = Options.Queue,
            Exchange = Options.Exchange,
            RoutingKey = Options.RoutingKey,
            Serializer = Options.Serializer,
            Priority = Options.Priority,
            TimeLimit = Options.TimeLimit,
            SoftTimeLimit = Options.SoftTimeLimit,
            Expires = Options.Expires,
        });

    // celery/canvas.py Signature as a dict: what celery.map/starmap receive as `task`.
    private static Dictionary<string, object?> Signature(string task) => new(StringComparer.Ordinal)
    {
        ["task"] = task,
        ["args"] = new List<object?>(),
        ["kwargs"] = new Dictionary<string, object?>(),
        ["options"] = new Dictionary<string, object?>(),
        ["subtask_type"] = null,
        ["immutable"] = false,
        ["chord_size"] = null,
    };
}
