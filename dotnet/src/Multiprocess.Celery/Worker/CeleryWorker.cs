using System.Collections.Concurrent;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// A Celery worker in C#: consumes queues of a Redis broker beside Python workers, runs the handler registered for
/// each task name, stores states and results as a Python worker does, and acknowledges late by default.
/// </summary>
/// <remarks>
/// Threads: one fetcher (BRPOP over the queues, at most Concurrency × PrefetchMultiplier messages held), Concurrency
/// executors, one pidbox listener (revoke), one restorer (messages of dead consumers past the visibility timeout).
/// <code>
/// fetcher                      broker (Redis)                      executor
/// BRPOP queue…      ──────►   pop envelope
/// ZADD/HSET unacked ──────►   message now restorable
///                                                                  run handler
///                              SETEX+PUBLISH celery-task-meta-id ◄  store result
///                              ZREM/HDEL unacked                 ◄  ack
/// </code>
/// </remarks>
public sealed partial class CeleryWorker : IDisposable
{
    private readonly ConcurrentDictionary<string, Func<TaskContext, object?>> _handlers = new(StringComparer.Ordinal);
    private readonly BlockingCollection<Delivery> _ready = [];
    private readonly ConcurrentDictionary<string, Delivery> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);
    private readonly List<Thread> _threads = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly RedisConnectionPool _brokerPool;
    private readonly RedisBroker _broker;
    private readonly RedisResultBackend? _backend;
    private SemaphoreSlim? _prefetch;
    private RedisSubscriber? _pidbox;
    private RedisConnection? _fetchConnection;
    private Timer? _restorer;
    private long _processed;
    private volatile bool _consuming;

    /// <summary>Initializes a new instance of the <see cref="CeleryWorker"/> class.</summary>
    /// <param name="brokerUrl">The broker, <c>redis://host:port/db</c>.</param>
    /// <param name="backendUrl">The result backend (the broker's URL when null; <c>""</c> for none).</param>
    /// <param name="options">Settings.</param>
    /// <exception cref="FormatException">A URL is not a redis URL.</exception>
    public CeleryWorker(string brokerUrl, string? backendUrl = null, WorkerOptions? options = null)
    {
        Options = options ?? new WorkerOptions();
        if (Options.Concurrency < 1 || Options.PrefetchMultiplier < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"concurrency {Options.Concurrency} and prefetch multiplier {Options.PrefetchMultiplier} must be at least 1");
        }

        if (Options.Queues.Count == 0)
        {
            throw new ArgumentException("a worker needs at least one queue", nameof(options));
        }

        _brokerPool = new RedisConnectionPool(RedisEndpoint.Parse(brokerUrl));
        _broker = new RedisBroker(_brokerPool) { VisibilityTimeout = Options.VisibilityTimeout };
        backendUrl ??= brokerUrl;
        if (backendUrl.Length > 0)
        {
            _backend = new RedisResultBackend(new RedisConnectionPool(RedisEndpoint.Parse(backendUrl)), ownsPool: true)
            {
                Serializer = Options.ResultSerializer,
            };
        }

        RegisterBuiltins();
    }

    /// <summary>Gets the settings.</summary>
    public WorkerOptions Options { get; }

    /// <summary>Gets how many tasks finished (any state).</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Gets the registered task names.</summary>
    public ICollection<string> TaskNames => _handlers.Keys;

    /// <summary>Registers a handler in the shape the mixed <c>Pool</c> uses: positional arguments in, result out.</summary>
    /// <param name="name">The task name Celery sends (<c>module.function</c> for Python-named tasks).</param>
    /// <param name="handler">The handler.</param>
    public void Register(string name, Func<object?[], object?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        RegisterBound(name, ctx => handler([.. ctx.Args]));
    }

    /// <summary>
    /// Registers a handler that sees the whole request (kwargs, retries, <see cref="TaskContext.Retry"/>): Celery's
    /// <c>@app.task(bind=True)</c>.
    /// </summary>
    /// <param name="name">The task name.</param>
    /// <param name="handler">The handler.</param>
    public void RegisterBound(string name, Func<TaskContext, object?> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        _handlers[name] = handler;
    }

    /// <summary>Starts consuming; returns once the queues are being read.</summary>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public void Start()
    {
        if (_fetchConnection is not null)
        {
            throw new InvalidOperationException("the worker is already started");
        }

        _fetchConnection = _brokerPool.Open();
        foreach (var q in Options.Queues)
        {
            _broker.DeclareQueue(q);
        }

        StartPidbox();
        RestoreExpired();
        _restorer = new Timer(_ => RestoreExpired(), null, Options.RestoreInterval, Options.RestoreInterval);
        _prefetch = new SemaphoreSlim(Options.Concurrency * Options.PrefetchMultiplier);
        for (var i = 0; i < Options.Concurrency; i++)
        {
            var t = new Thread(ExecuteLoop) { IsBackground = true, Name = $"celery-executor-{i}" };
            t.Start();
            _threads.Add(t);
        }

        var fetcher = new Thread(FetchLoop) { IsBackground = true, Name = "celery-fetcher" };
        _consuming = true;
        fetcher.Start();
        _threads.Add(fetcher);
        Log($"consuming {string.Join(",", Options.Queues)} as {Options.Hostname} (concurrency {Options.Concurrency}, tasks: {string.Join(", ", _handlers.Keys.Order(StringComparer.Ordinal))})");
    }

    /// <summary>
    /// Stops: no new messages; the held ones not yet started go back to their queues at once; running tasks get
    /// <paramref name="grace"/> to finish (Celery's warm shutdown). A task still running after that stays
    /// unacknowledged, so the broker redelivers it after the visibility timeout.
    /// </summary>
    /// <param name="grace">How long running tasks may take.</param>
    public void Stop(TimeSpan grace)
    {
        if (!_consuming)
        {
            return;
        }

        _consuming = false;
        _fetchConnection?.Abort();
        _ready.CompleteAdding();
        var deadline = DateTime.UtcNow + grace;
        foreach (var t in _threads)
        {
            var left = deadline - DateTime.UtcNow;
            t.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        // Held but never started (prefetched or waiting for their ETA): restored now, as kombu's restore_at_shutdown.
        foreach (var d in _held.Values)
        {
            if (!d.Started)
            {
                TryRestore(d.DeliveryTag);
            }
        }

        _stopping.Cancel();
        _restorer?.Dispose();
        Log("stopped");
    }

    /// <summary>Stops (5 s grace) and closes the connections.</summary>
    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _pidbox?.Dispose();
        _fetchConnection?.Dispose();
        _backend?.Dispose();
        _broker.Dispose();
        _brokerPool.Dispose();
        _prefetch?.Dispose();
        _ready.Dispose();
        _stopping.Dispose();
    }

    private void FetchLoop()
    {
        var keys = RedisBroker.ConsumeKeys(Options.Queues);
        var command = new object[keys.Count + 2];
        command[0] = "BRPOP";
        for (var i = 0; i < keys.Count; i++)
        {
            command[i + 1] = keys[i];
        }

        command[^1] = 1; // seconds: the loop checks for Stop this often
        while (_consuming)
        {
            if (!_prefetch!.Wait(TimeSpan.FromSeconds(1)))
            {
                continue;
            }

            object?[]? popped;
            try
            {
                popped = _fetchConnection!.Execute(command) as object?[];
            }
            catch (Exception e) when (e is IOException or RedisException)
            {
                _prefetch.Release();
                if (!_consuming)
                {
                    return;
                }

                Log($"broker: {e.Message}; reconnecting");
                Reconnect();
                continue;
            }

            if (popped is not [byte[] key, byte[] envelope])
            {
                _prefetch.Release();
                continue;
            }

            Accept(System.Text.Encoding.UTF8.GetString(key), envelope);
        }
    }

    private void Reconnect()
    {
        while (_consuming)
        {
            try
            {
                var fresh = _brokerPool.Open();
                var old = _fetchConnection;
                _fetchConnection = fresh;
                old?.Dispose();
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(1000);
            }
        }
    }

    private void Accept(string key, byte[] envelope)
    {
        BrokerMessage message;
        TaskMessage task;
        try
        {
            message = KombuEnvelope.Read(envelope);
        }
        catch (FormatException e)
        {
            // Not even an envelope: nothing can acknowledge or restore it; kombu would fail the same way.
            Log($"dropped a message from {key} that is not a kombu envelope: {e.Message}");
            _prefetch!.Release();
            return;
        }

        if (message.DeliveryTag.Length == 0)
        {
            message.DeliveryTag = Guid.NewGuid().ToString();
        }

        _broker.MarkUnacked(message.DeliveryTag, envelope, message.Exchange, message.RoutingKey);
        try
        {
            task = TaskMessageCodec.Decode(message);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or Multiprocess.Pickle.UnpicklingException)
        {
            // Celery rejects undecodable messages (no requeue): a poison message would otherwise loop for ever.
            // The id is in the headers even when the body is unreadable: the sender learns why (kombu's DecodeError).
            Log($"rejected message {message.DeliveryTag} from {key}: {e.Message}");
            if (message.Headers.GetValueOrDefault("id") is string id)
            {
                StoreMeta(Failed(id, Multiprocess.Pickle.PyException.Create("kombu.exceptions", "DecodeError", e.Message), null));
            }

            _broker.Ack(message.DeliveryTag);
            _prefetch!.Release();
            return;
        }

        var delivery = new Delivery(message, task);
        _held[delivery.DeliveryTag] = delivery;
        if (!Options.AcksLate)
        {
            _broker.Ack(delivery.DeliveryTag);
        }

        var delay = task.Eta is { } eta ? eta - DateTimeOffset.UtcNow : TimeSpan.Zero;
        if (delay > TimeSpan.Zero)
        {
            _ = Task.Delay(delay, _stopping.Token).ContinueWith(
                t =>
                {
                    if (!t.IsCanceled)
                    {
                        Enqueue(delivery);
                    }
                },
                TaskScheduler.Default);
        }
        else
        {
            Enqueue(delivery);
        }
    }

    private void Enqueue(Delivery delivery)
    {
        try
        {
            _ready.Add(delivery);
        }
        catch (InvalidOperationException)
        {
            // Stopping: Stop restores held messages that never started.
        }
    }

    private void ExecuteLoop()
    {
        foreach (var delivery in _ready.GetConsumingEnumerable())
        {
            if (!_consuming)
            {
                // Stopping: left unstarted, Stop restores it to its queue.
                continue;
            }

            delivery.Started = true;
            try
            {
                Execute(delivery);
            }
            catch (Exception e) when (e is IOException or RedisException)
            {
                // The backend or broker failed mid-way: the message stays unacknowledged and is redelivered.
                Log($"task {delivery.Task.Id}: {e.Message} (left unacknowledged for redelivery)");
            }
            finally
            {
                _held.TryRemove(delivery.DeliveryTag, out _);
                Interlocked.Increment(ref _processed);
                _prefetch!.Release();
            }
        }
    }

    private void RestoreExpired()
    {
        try
        {
            var n = _broker.RestoreVisible();
            if (n > 0)
            {
                Log($"restored {n} unacknowledged message(s) older than the visibility timeout");
            }
        }
        catch (Exception e) when (e is IOException or RedisException or FormatException)
        {
            Log($"restore: {e.Message}");
        }
    }

    private void TryRestore(string tag)
    {
        try
        {
            _broker.Restore(tag);
        }
        catch (Exception e) when (e is IOException or RedisException)
        {
            Log($"could not restore {tag} ({e.Message}): it returns after the visibility timeout");
        }
    }

    private void Log(string text)
    {
        var w = Options.Log ?? Console.Error;
        lock (w)
        {
            w.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {Options.Hostname}: {text}");
        }
    }

    private sealed class Delivery(BrokerMessage message, TaskMessage task)
    {
        public string DeliveryTag { get; } = message.DeliveryTag;

        public string Exchange { get; } = message.Exchange;

        public string RoutingKey { get; } = message.RoutingKey;

        public string ContentType { get; } = message.ContentType;

        public TaskMessage Task { get; } = task;

        public volatile bool Started;
    }
}
