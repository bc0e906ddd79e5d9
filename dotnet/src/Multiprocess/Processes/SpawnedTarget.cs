namespace Multiprocess.Processes;

/// <summary>C# code that a Python parent runs as a child process's target (see <see cref="SpawnedChild"/>).</summary>
/// <param name="args">The Process's <c>args</c>, rebuilt: queues, locks and connections are live objects.</param>
/// <param name="kwargs">The Process's <c>kwargs</c>.</param>
/// <returns>The exit code the parent's <c>Process.exitcode</c> reports (0 for success).</returns>
public delegate int SpawnedTarget(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);
