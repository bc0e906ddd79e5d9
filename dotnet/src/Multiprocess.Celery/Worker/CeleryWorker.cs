using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Multiprocess.Celery.Amqp;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// A Celery worker in C#: consumes queues of a Redis or RabbitMQ broker beside Python workers, runs the handler
/// registered for each task name, reports states and results as a Python worker does (Redis result backend or RPC
/// replies), and acknowledges late by default.
/// </summary>
/// <remarks>
/// Threads: the transport's consumer (Redis: a BRPOP fetcher and a restorer of dead consumers' messages; RabbitMQ:
/// the client's dispatcher under basic.qos), at most Concurrency × PrefetchMultiplier messages held, Concurrency
/// executors, one pidbox listener (ping, revoke).
/// <code>
/// transport                    broker                              executor
/// consume           ◄──────   delivery (Redis: ZADD/HSET unacked, restorable from now on)
///                                                                  run handler
///                              result backend / reply_to queue   ◄  store result
///                              ack                               ◄  ack
/// </code>
/// </remarks>
public sealed partial class CeleryWorker : IDisposable
{
    private readonly ConcurrentDictionary<string, Func<TaskContext, object?>> _handlers = new(StringComparer.Ordinal);
    private readonly BlockingCollection<Delivery> _ready = [];
    private readonly ConcurrentDictionary<string, Delivery> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Thread, byte> _threads = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly IWorkerTransport _transport;
    private readonly IWorkerResults? _backend;
    private long _processed;
    private int _executorCount;
    private bool _started;
    private volatile bool _consuming;

    /// <summary>Initializes a new instance of the <see cref="CeleryWorker"/> class.</summary>
    /// <param name="brokerUrl">The broker, <c>redis://host:port/db</c> or <c>amqp://user:password@host:port/vhost</c>.</param>
    /// <param name="backendUrl">
    /// The result backend: <c>redis://...</c>, or <c>rpc://</c> (replies to each task's <c>reply_to</c>; AMQP brokers
    /// only); when null, the broker's URL for Redis and <c>rpc://</c> for AMQP, as <see cref="CeleryClient"/>;
    /// <c>""</c> for none.
    /// </param>
    /// <param name="options">Settings.</param>
    /// <exception cref="FormatException">A URL is not understood.</exception>
    /// <exception cref="IOException">An AMQP broker cannot be reached.</exception>
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

        ArgumentNullException.ThrowIfNull(brokerUrl);
        var amqp = AmqpBroker.Accepts(brokerUrl);
        backendUrl ??= amqp ? "rpc://" : brokerUrl;
        if (backendUrl.StartsWith("rpc://", StringComparison.Ordinal) && !amqp)
        {
            throw new FormatException($"the rpc:// result backend needs an AMQP broker, not '{brokerUrl}'");
        }

        var redisBackend = backendUrl.Length > 0 && !backendUrl.StartsWith("rpc://", StringComparison.Ordinal)
            ? new RedisResultBackend(new RedisConnectionPool(RedisEndpoint.Parse(backendUrl)), ownsPool: true) { Serializer = Options.ResultSerializer }
            : null;
        _transport = amqp
            ? new AmqpWorkerTransport(brokerUrl, Logger, Options.Hostname)
            : new RedisWorkerTransport(brokerUrl, Options.VisibilityTimeout, Options.RestoreInterval, Logger, Options.Hostname);
        _backend = redisBackend is not null ? new RedisWorkerResults(redisBackend)
            : backendUrl.Length > 0 ? new RpcResultPublisher(_transport.Broker, Options.ResultSerializer)
            : null;

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
        if (_started)
        {
            throw new InvalidOperationException("the worker is already started");
        }

        _started = true;
        for (var i = 0; i < Options.Concurrency; i++)
        {
            StartExecutor();
        }

        _consuming = true;
        _transport.StartControl(Options.Hostname, OnControl);
        _transport.StartConsuming(Options.Queues, Options.Concurrency * Options.PrefetchMultiplier, Accept);
        StartWorkerEvents();
        WorkerLog.Consuming(Logger, Options.Hostname, string.Join(",", Options.Queues), Options.Concurrency, string.Join(", ", _handlers.Keys.Order(StringComparer.Ordinal)));
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
        _transport.StopConsuming();
        _ready.CompleteAdding();
        var deadline = DateTime.UtcNow + grace;
        foreach (var t in _threads.Keys)
        {
            var left = deadline - DateTime.UtcNow;
            t.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        // Held but never started (prefetched or waiting for their ETA): restored now, as kombu's restore_at_shutdown.
        foreach (var d in _held.Values)
        {
            if (!d.Started)
            {
                _transport.Restore(d.Message);
            }
        }

        StopWorkerEvents();
        _stopping.Cancel();
        WorkerLog.Stopped(Logger, Options.Hostname);
    }

    /// <summary>Stops (5 s grace) and closes the connections.</summary>
    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _backend?.Dispose();
        _transport.Dispose();
        _ready.Dispose();
        _stopping.Dispose();
    }

    // On the transport's thread: decode, hold, and queue for an executor (or wait for the ETA).
    private void Accept(BrokerMessage message)
    {
        TaskMessage task;
        try
        {
            task = TaskMessageCodec.Decode(message);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or Multiprocess.Pickle.UnpicklingException)
        {
            // Celery rejects undecodable messages (no requeue): a poison message would otherwise loop for ever.
            // The id is in the headers even when the body is unreadable: the sender learns why (kombu's DecodeError).
            WorkerLog.Undecodable(Logger, Options.Hostname, message.DeliveryTag, message.RoutingKey, e.Message);
            if (message.Headers.GetValueOrDefault("id") is string id)
            {
                StoreMeta(Failed(id, Multiprocess.Pickle.PyException.Create("kombu.exceptions", "DecodeError", e.Message), null), message.Properties.GetValueOrDefault("reply_to") as string);
            }

            _transport.Reject(message, requeue: false);
            _transport.Release(message);
            return;
        }

        var delivery = new Delivery(message, task);
        _held[delivery.DeliveryTag] = delivery;
        if (Options.SendTaskEvents)
        {
            SendTaskEvent("task-received", task, new()
            {
                ["name"] = task.Task,
                ["args"] = task.ArgsRepr,
                ["kwargs"] = task.KwargsRepr,
                ["root_id"] = task.RootId,
                ["parent_id"] = task.ParentId,
                ["retries"] = task.Retries,
                ["eta"] = task.Eta is { } etaValue ? CeleryTime.IsoFormat(etaValue.UtcDateTime) : null,
                ["expires"] = task.Expires is { } x ? CeleryTime.IsoFormat(x.UtcDateTime) : null,
            });
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

    private void StartExecutor()
    {
        var t = new Thread(ExecuteLoop) { IsBackground = true, Name = $"celery-executor-{Interlocked.Increment(ref _executorCount)}" };
        _threads[t] = 0;
        t.Start();
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
            delivery.Executor = Thread.CurrentThread;
            Interlocked.Increment(ref _active);
            var finished = true;
            try
            {
                if (!Options.AcksLate)
                {
                    // Celery acknowledges early when the task is accepted for execution.
                    _transport.Ack(delivery.Message);
                }

                finished = Execute(delivery);
            }
            catch (Exception e) when (e is IOException or RedisException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // The backend or broker failed mid-way (AlreadyClosedException: RabbitMQ restarting): the message stays
                // unacknowledged and is redelivered.
                WorkerLog.LeftForRedelivery(Logger, Options.Hostname, delivery.Task.Id, e.Message);
            }
            finally
            {
                if (finished)
                {
                    Done(delivery);
                }
            }

            if (!finished)
            {
                // The hard time limit reported this task and started another executor: this thread ends here.
                return;
            }
        }
    }

    // The worker's hold of a delivery ends: counted, forgotten, its prefetch slot free.
    private void Done(Delivery delivery)
    {
        Interlocked.Decrement(ref _active);
        _held.TryRemove(delivery.DeliveryTag, out _);
        Interlocked.Increment(ref _processed);
        _transport.Release(delivery.Message);
    }

    // Where the worker logs (WorkerOptions.Logger, or nowhere, as the engine's Pool).
    private ILogger Logger => Options.Logger ?? NullLogger.Instance;

    private sealed class Delivery(BrokerMessage message, TaskMessage task)
    {
        public BrokerMessage Message { get; } = message;

        public string DeliveryTag { get; } = message.DeliveryTag;

        public string Exchange { get; } = message.Exchange;

        public string RoutingKey { get; } = message.RoutingKey;

        public string ContentType { get; } = message.ContentType;

        public TaskMessage Task { get; } = task;

        public volatile bool Started;

        public Thread? Executor;

        public TaskProcesses? Processes;

        // Who reports the outcome: the executor when the handler returns, or the hard time limit (once only).
        private int _claimed;

        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;
    }
}
