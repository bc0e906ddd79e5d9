using System.Collections;
using Multiprocess.Celery.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// Celery's built-in tasks that carry other tasks (celery/app/builtins.py): <c>celery.map</c> and
/// <c>celery.starmap</c>, which <c>task.chunks()</c> and <see cref="CeleryPool"/> send, run here by calling the
/// registered handler of the named task once per item.
/// </summary>
public sealed partial class CeleryWorker
{
    private void RegisterBuiltins()
    {
        RegisterBound("celery.map", ctx => RunEach(ctx, star: false));
        RegisterBound("celery.starmap", ctx => RunEach(ctx, star: true));
    }

    private object? RunEach(TaskContext context, bool star)
    {
        if (context.Args is not [var signature, IEnumerable items])
        {
            throw new ArgumentException($"{context.Message.Task} takes (task signature, items), not {context.Args.Count} argument(s)");
        }

        var name = signature switch
        {
            Dictionary<string, object?> d => d.GetValueOrDefault("task") as string,
            PyDict pd => pd.Get("task") as string,
            _ => null,
        } ?? throw new ArgumentException($"{context.Message.Task}: the signature names no task");
        if (!_handlers.TryGetValue(name, out var handler))
        {
            throw new PyRaisedException(PyException.Create("celery.exceptions", "NotRegistered", name));
        }

        var results = new List<object?>();
        foreach (var item in items)
        {
            IReadOnlyList<object?> args = !star ? [item] : item switch
            {
                PyTuple t => [.. t],
                IEnumerable e and not string => e.Cast<object?>().ToList(),
                _ => throw new ArgumentException($"celery.starmap: an item is a {PyRepr.TypeName(item)}, not an argument list"),
            };
            var message = new TaskMessage { Id = context.Id, Task = name, Args = args, Retries = context.Retries, RootId = context.Message.RootId, ParentId = context.Message.ParentId };
            results.Add(handler(new TaskContext(message, context.Hostname, context.SoftTimeLimit, context.Processes)));
        }

        return results;
    }
}
