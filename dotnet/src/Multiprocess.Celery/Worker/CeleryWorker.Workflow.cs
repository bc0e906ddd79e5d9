using Multiprocess.Celery.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// Continuing a workflow after a task succeeded, as celery/app/trace.py does before storing the result: each
/// <c>callbacks</c> signature (<c>link</c>) is sent with the result prepended to its args, then the last signature
/// of <c>chain</c> is popped and sent with the result and the rest of the chain. Signatures keep their preset
/// options (<c>task_id</c>, <c>queue</c>...), so the caller's result handle on the chain's end stays valid.
/// </summary>
public sealed partial class CeleryWorker
{
    private void ContinueWorkflow(Delivery delivery, object? result)
    {
        var task = delivery.Task;
        foreach (var callback in task.Callbacks ?? [])
        {
            SendSignature(delivery, callback, result, null);
        }

        if (task.Chain is { Count: > 0 } chain)
        {
            SendSignature(delivery, chain[^1], result, chain.Take(chain.Count - 1).ToList());
        }
    }

    private void SendSignature(Delivery delivery, object? signature, object? result, List<object?>? restOfChain)
    {
        var sig = AsDict(signature) ?? throw new FormatException($"task {delivery.Task.Id}: a workflow signature is a {PyRepr.TypeName(signature)}, not a dict");
        if (sig.GetValueOrDefault("subtask_type") is string kind && kind.Length > 0)
        {
            throw new NotSupportedException($"task {delivery.Task.Id}: a '{kind}' signature in a workflow is not supported by the C# worker");
        }

        var name = sig.GetValueOrDefault("task") as string ?? throw new FormatException($"task {delivery.Task.Id}: a workflow signature names no task");
        var options = AsDict(sig.GetValueOrDefault("options")) ?? [];
        var args = new List<object?>();
        if (sig.GetValueOrDefault("immutable") is not true)
        {
            args.Add(result);
        }

        args.AddRange(AsList(sig.GetValueOrDefault("args")));
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in AsDict(sig.GetValueOrDefault("kwargs")) ?? [])
        {
            kwargs[kv.Key] = kv.Value;
        }

        var id = options.GetValueOrDefault("task_id") as string ?? Guid.NewGuid().ToString();
        var next = new TaskMessage
        {
            Id = id,
            Task = name,
            RootId = delivery.Task.RootId ?? delivery.Task.Id,
            ParentId = delivery.Task.Id,
            Group = options.GetValueOrDefault("group_id") as string,
            Args = args,
            Kwargs = kwargs,
            Chain = restOfChain is { Count: > 0 } ? restOfChain : null,
            Callbacks = AsList(options.GetValueOrDefault("link")) is { Count: > 0 } link ? link : null,
            Errbacks = AsList(options.GetValueOrDefault("link_error")) is { Count: > 0 } linkError ? linkError : null,
            ReplyTo = options.GetValueOrDefault("reply_to") as string ?? delivery.Task.ReplyTo,
            Priority = options.GetValueOrDefault("priority") is long p ? (int)p : delivery.Task.Priority,
            Origin = Options.Hostname,
        };
        var serializer = options.GetValueOrDefault("serializer") is string s ? CelerySerializer.ForName(s) : CelerySerializer.ForContentType(delivery.ContentType);
        var queue = options.GetValueOrDefault("queue") switch
        {
            string q => q,
            Dictionary<string, object?> q => q.GetValueOrDefault("name") as string,
            _ => null,
        };
        var exchange = options.GetValueOrDefault("exchange") as string ?? "";
        var routingKey = options.GetValueOrDefault("routing_key") as string ?? queue ?? "celery";
        if (exchange.Length == 0)
        {
            _transport.Broker.DeclareQueue(routingKey);
        }

        _transport.Broker.Publish(TaskMessageCodec.Encode(next, serializer), exchange, routingKey);
    }

    private static Dictionary<string, object?>? AsDict(object? value) => value switch
    {
        Dictionary<string, object?> d => d,
        PyDict pd => pd.Where(kv => kv.Key is string).ToDictionary(kv => (string)kv.Key!, kv => kv.Value, StringComparer.Ordinal),
        _ => null,
    };

    private static List<object?> AsList(object? value) => value switch
    {
        List<object?> l => l,
        PyTuple t => [.. t],
        _ => [],
    };
}
