using Multiprocess.Processes;

namespace Multiprocess.Pooling;

/// <summary>A CPython worker process of a pool and the slot it records its tasks in.</summary>
internal sealed class PythonWorker(PythonProcess process, int slot)
{
    public PythonProcess Process { get; } = process;

    public int Slot { get; } = slot;

    /// <summary>Gets or sets a value indicating whether the pool asked it to stop (sentinel or terminate): its exit is
    /// not a crash.</summary>
    public bool Stopping { get; set; }
}
