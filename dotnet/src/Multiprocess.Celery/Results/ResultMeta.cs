using Multiprocess.Celery.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Results;

/// <summary>
/// A task's entry in the result backend (celery/backends/base.py <c>_get_result_meta</c>):
/// <c>{"status", "result", "traceback", "children", "date_done", "task_id"}</c>, serialized with the result serializer.
/// </summary>
public sealed class ResultMeta
{
    /// <summary>Gets or sets the state (<see cref="TaskStates"/>).</summary>
    public required string Status { get; set; }

    /// <summary>Gets or sets the task id.</summary>
    public required string TaskId { get; set; }

    /// <summary>Gets or sets the return value, or for exception states the exception (a dict <c>exc_type/exc_message/exc_module</c> in json, a <see cref="PyException"/> in pickle).</summary>
    public object? Result { get; set; }

    /// <summary>Gets or sets the formatted traceback of a failure.</summary>
    public string? Traceback { get; set; }

    /// <summary>Gets or sets the finish time (set for ready states only, naive UTC ISO text on the wire).</summary>
    public DateTimeOffset? DateDone { get; set; }

    /// <summary>Gets the results of subtasks, as stored.</summary>
    public List<object?> Children { get; init; } = [];

    /// <summary>Serializes the entry.</summary>
    /// <param name="serializer">The result serializer.</param>
    /// <returns>The stored bytes.</returns>
    public byte[] Serialize(CelerySerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        var dateDone = DateDone is { } d ? CeleryTime.IsoFormat(d.UtcDateTime) : null;
        if (ReferenceEquals(serializer, CelerySerializer.Pickle))
        {
            return serializer.Serialize(new PyDict
            {
                ["status"] = Status,
                ["result"] = Result,
                ["traceback"] = Traceback,
                ["children"] = Children,
                ["date_done"] = dateDone,
                ["task_id"] = TaskId,
            });
        }

        return serializer.Serialize(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["status"] = Status,
            ["result"] = Result,
            ["traceback"] = Traceback,
            ["children"] = Children,
            ["date_done"] = dateDone,
            ["task_id"] = TaskId,
        });
    }

    /// <summary>Reads a stored entry in either serializer (pickle starts with PROTO 0x80, json with <c>{</c>).</summary>
    /// <param name="data">The stored bytes.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="FormatException">Not a result entry.</exception>
    public static ResultMeta Deserialize(ReadOnlySpan<byte> data)
    {
        var serializer = !data.IsEmpty && data[0] == 0x80 ? CelerySerializer.Pickle : CelerySerializer.Json;
        var value = serializer.Deserialize(data);
        Func<string, object?> get = value switch
        {
            Dictionary<string, object?> d => k => d.GetValueOrDefault(k),
            PyDict pd => k => pd.Get(k),
            _ => throw new FormatException($"a result entry is a {PyRepr.TypeName(value)}, not a dict"),
        };
        return new ResultMeta
        {
            Status = get("status") as string ?? throw new FormatException("a result entry has no 'status'"),
            TaskId = get("task_id") as string ?? "",
            Result = get("result"),
            Traceback = get("traceback") as string,
            DateDone = get("date_done") is string s ? CeleryTime.Parse(s) : null,
            Children = get("children") as List<object?> ?? [],
        };
    }
}
