using Microsoft.Extensions.Logging;
using Multiprocess.Processes;

namespace Multiprocess.Pooling;

/// <summary>How a <see cref="Pool"/> is made: its CPython workers (how many, how started, initializer, lifetime) and
/// its C# workers.</summary>
public sealed record PoolOptions
{
    /// <summary>Gets the number of CPython worker processes; null for <see cref="Environment.ProcessorCount"/>
    /// (CPython's <c>os.cpu_count()</c>). Zero makes a C#-only pool.</summary>
    public int? Processes { get; init; }

    /// <summary>Gets the number of C# workers: threads of this process that take tasks from the same stream as the
    /// Python workers and run the handlers registered with <see cref="Pool.RegisterHandler"/>.</summary>
    public int CSharpWorkers { get; init; }

    /// <summary>Gets how the Python workers start (interpreter, <c>sys.path</c>, directory, environment).</summary>
    public PythonProcessOptions Process { get; init; } = new();

    /// <summary>Gets the Python function (<c>module:qualname</c>) each Python worker runs once at start
    /// (CPython's <c>initializer</c>), or null.</summary>
    public string? Initializer { get; init; }

    /// <summary>Gets the initializer as a client pickled it (any picklable callable), used when
    /// <see cref="Initializer"/> is null: a manager server's Pool (docs/python-host.md).</summary>
    internal object? PythonInitializer { get; init; }

    /// <summary>Gets the initializer's arguments (<c>initargs</c>).</summary>
    public IReadOnlyList<object?> InitArgs { get; init; } = [];

    /// <summary>Gets how many tasks a Python worker runs before it exits and is replaced (<c>maxtasksperchild</c>);
    /// null for no limit.</summary>
    public int? MaxTasksPerChild { get; init; }

    /// <summary>Gets where the pool logs what it ignores or what broke it (CPython's pool says these through
    /// <c>multiprocessing.util</c>'s logger, silent unless set up); null logs nothing.</summary>
    public ILogger? Logger { get; init; }
}
