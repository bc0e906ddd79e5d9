namespace Multiprocess.Pooling;

/// <summary>One worker of a <see cref="Pool"/>, live or gone, and how many tasks it took (a map chunk is one task).</summary>
/// <param name="Language"><c>Python</c> or <c>C#</c>.</param>
/// <param name="Name">The worker's name (<c>SpawnPoolWorker-N</c>, <c>CSharpPoolWorker-N</c>).</param>
/// <param name="Pid">The process id (for C# workers, this process's).</param>
/// <param name="Tasks">Tasks taken so far.</param>
/// <param name="ExitCode">The exit code once a Python worker has exited, else null.</param>
public sealed record PoolWorkerInfo(string Language, string Name, int Pid, long Tasks, int? ExitCode);
