using System.Net;
using Multiprocess.Celery.Amqp;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;

namespace Multiprocess.Celery;

/// <summary>
/// A client of a Celery cluster on Redis or RabbitMQ: sends protocol v2 task messages that Python (and C#) workers consume,
/// reads results from the Redis or RPC result backend, and broadcasts control commands (revoke) on the pidbox.
/// </summary>
/// <example>
/// <code>
/// using var celery = new CeleryClient("redis://127.0.0.1:6379/0");
/// var r = celery.SendTask("tasks.add", [2, 3]);
/// var sum = r.Get(TimeSpan.FromSeconds(10));          // 5L
/// </code>
/// </example>
public sealed partial class CeleryClient : IDisposable
{
    private readonly IResultBackend? _backend;
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private long _clock;

    /// <summary>Initializes a new instance of the <see cref="CeleryClient"/> class.</summary>
    /// <param name="brokerUrl">The broker: <c>redis://host:port/db</c> or <c>amqp://user:password@host:port/vhost</c>.</param>
    /// <param name="backendUrl">
    /// The result backend: <c>redis://...</c> or <c>rpc://</c> (AMQP brokers only); when null, the broker's URL for
    /// Redis and <c>rpc://</c> for AMQP; <c>""</c> for none.
    /// </param>
    /// <exception cref="FormatException">A URL is not understood.</exception>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public CeleryClient(string brokerUrl, string? backendUrl = null)
    {
        ArgumentNullException.ThrowIfNull(brokerUrl);
        Broker = AmqpBroker.Accepts(brokerUrl) ? new AmqpBroker(brokerUrl) : new RedisBroker(brokerUrl);
        backendUrl ??= Broker is AmqpBroker ? "rpc://" : brokerUrl;
        if (backendUrl.StartsWith("rpc://", StringComparison.Ordinal))
        {
            _backend = Broker is AmqpBroker amqp
                ? new RpcResultBackend(amqp)
                : throw new FormatException($"the rpc:// result backend needs an AMQP broker, not '{brokerUrl}'");
        }
        else if (backendUrl.Length > 0)
        {
            _backend = new RedisResultBackend(new RedisConnectionPool(RedisEndpoint.Parse(backendUrl)), ownsPool: true);
        }
    }

    /// <summary>Gets the broker.</summary>
    public ITaskBroker Broker { get; }

    /// <summary>Gets the result backend.</summary>
    /// <exception cref="InvalidOperationException">The client was made without one.</exception>
    public IResultBackend Backend => _backend ?? throw new InvalidOperationException("this client has no result backend");

    /// <summary>Gets or sets the default task serializer (Celery's task_serializer, json).</summary>
    public CelerySerializer TaskSerializer { get; set; } = CelerySerializer.Json;

    /// <summary>Gets or sets the queue tasks go to when no option names one (Celery's task_default_queue).</summary>
    public string DefaultQueue { get; set; } = "celery";

    /// <summary>Gets the node name written in <c>origin</c> (Celery's <c>gen&lt;pid&gt;@&lt;host&gt;</c>).</summary>
    public string Origin { get; } = $"gen{Environment.ProcessId}@{Dns.GetHostName()}";

    /// <summary>Sends a task by name.</summary>
    /// <param name="name">The registered task name.</param>
    /// <param name="args">Positional arguments.</param>
    /// <param name="kwargs">Keyword arguments.</param>
    /// <param name="options">Routing, timing and serializer options.</param>
    /// <returns>The result handle.</returns>
    /// <exception cref="ArgumentException">An argument has no form in the serializer.</exception>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public AsyncResult SendTask(string name, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null, SendOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new SendOptions();
        var message = BuildMessage(name, args, kwargs, options);
        Publish(message, options);
        return new AsyncResult(this, message.Id);
    }

    /// <summary>Builds the task message <see cref="SendTask"/> sends, without sending it.</summary>
    /// <param name="name">The task name.</param>
    /// <param name="args">Positional arguments.</param>
    /// <param name="kwargs">Keyword arguments.</param>
    /// <param name="options">Options.</param>
    /// <returns>The message.</returns>
    public TaskMessage BuildMessage(string name, IEnumerable<object?>? args, IReadOnlyDictionary<string, object?>? kwargs, SendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var id = options.TaskId ?? Guid.NewGuid().ToString();
        var eta = options.Eta ?? (options.Countdown is { } cd ? DateTimeOffset.UtcNow + cd : null);
        return new TaskMessage
        {
            Id = id,
            Task = name,
            RootId = options.RootId ?? id,
            ParentId = options.ParentId,
            Group = options.GroupId,
            Eta = eta?.ToUniversalTime(),
            Expires = options.Expires?.ToUniversalTime(),
            Retries = options.Retries,
            TimeLimit = options.TimeLimit,
            SoftTimeLimit = options.SoftTimeLimit,
            Origin = Origin,
            IgnoreResult = options.IgnoreResult,
            Priority = options.Priority ?? 0,
            ReplyTo = _backend?.ReplyTo,
            Args = args is null ? [] : [.. args],
            Kwargs = kwargs ?? new Dictionary<string, object?>(),
        };
    }

    /// <summary>Publishes a built task message.</summary>
    /// <param name="task">The message.</param>
    /// <param name="options">Routing and serializer options.</param>
    public void Publish(TaskMessage task, SendOptions options)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        var broker = TaskMessageCodec.Encode(task, options.Serializer ?? TaskSerializer);
        var exchange = options.Exchange ?? "";
        var routingKey = options.RoutingKey ?? options.Queue ?? DefaultQueue;
        if (exchange.Length == 0)
        {
            // Celery declares the queue on first publish, so workers started later find its binding.
            DeclareOnce(routingKey);
        }

        Broker.Publish(broker, exchange, routingKey);
    }

    /// <summary>Gets a result handle for a task id.</summary>
    /// <param name="taskId">The id.</param>
    /// <returns>The handle.</returns>
    public AsyncResult AsyncResult(string taskId) => new(this, taskId);

    /// <summary>Broadcasts <c>revoke</c> to every worker (celery.app.control.Control.revoke).</summary>
    /// <param name="taskId">The task id.</param>
    /// <param name="terminate">Whether to kill it if running.</param>
    /// <param name="signal">The signal name for terminate.</param>
    public void Revoke(string taskId, bool terminate = false, string? signal = null) =>
        Broadcast("revoke", new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["task_id"] = taskId,
            ["terminate"] = terminate,
            ["signal"] = signal,
        });

    /// <summary>Broadcasts a control command without waiting for replies (kombu pidbox <c>Mailbox._broadcast</c>).</summary>
    /// <param name="method">The command (<c>revoke</c>, <c>shutdown</c>, ...).</param>
    /// <param name="arguments">Its arguments.</param>
    public void Broadcast(string method, Dictionary<string, object?> arguments)
    {
        var body = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["method"] = method,
            ["arguments"] = arguments,
            ["destination"] = null,
            ["pattern"] = null,
            ["matcher"] = null,
        };
        var message = new BrokerMessage
        {
            Body = CeleryJson.Serialize(body),
            ContentType = CelerySerializer.Json.ContentType,
            ContentEncoding = CelerySerializer.Json.ContentEncoding,
            Headers = { ["clock"] = Interlocked.Increment(ref _clock), ["expires"] = 0L },
            Properties = { ["delivery_mode"] = 2L, ["priority"] = 0L },
        };
        Broker.PublishFanout(message, "celery.pidbox", "");
    }

    /// <summary>Closes the connections.</summary>
    public void Dispose()
    {
        _backend?.Dispose();
        Broker.Dispose();
    }

    private void DeclareOnce(string queue)
    {
        lock (_declared)
        {
            if (!_declared.Add(queue))
            {
                return;
            }
        }

        Broker.DeclareQueue(queue);
    }
}
