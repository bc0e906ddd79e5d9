using Multiprocess.Internal;

namespace Multiprocess.Processes;

/// <summary>
/// What CPython's <c>multiprocessing.current_process()</c> knows about this process and hands to its children: the
/// authkey (32 random bytes in a main process, the parent's in a spawned child), the name, the identity tuple that
/// numbers children (<c>SpawnProcess-1</c>, <c>SpawnProcess-1:2</c>, …) and the parent's pid.
/// </summary>
/// <remarks>The authkey travels to spawned children in the preparation data and in each Process object's
/// <c>_config</c>; Listener/Client pairs inside one process tree (resource_sharer, managers) authenticate with it.</remarks>
public static class CurrentProcess
{
    private static readonly object s_gate = new();
    private static byte[] s_authKey = SystemRandom.GetBytes(32);     // os.urandom(32); not OpenSSL (SystemRandom)
    private static int[] s_identity = [];
    private static int s_childCounter;

    /// <summary>Gets or sets the process name (<c>MainProcess</c>, or the name the parent gave a spawned child).</summary>
    public static string Name { get; set; } = "MainProcess";

    /// <summary>Gets the parent's pid when this process was spawned by a <c>multiprocessing</c> parent, else null.</summary>
    public static int? ParentPid { get; internal set; }

    /// <summary>Gets the parent's process name, when spawned by a <c>multiprocessing</c> parent.</summary>
    public static string? ParentName { get; internal set; }

    /// <summary>Gets the fd that reads end of stream once the parent has gone (CPython's <c>parent_sentinel</c>), when
    /// spawned by a <c>multiprocessing</c> parent; else null.</summary>
    public static int? ParentSentinel { get; internal set; }

    /// <summary>Gets or sets the authkey (a copy; 32 random bytes unless inherited from a parent).</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public static byte[] AuthKey
    {
        get
        {
            lock (s_gate)
            {
                return (byte[])s_authKey.Clone();
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (s_gate)
            {
                s_authKey = (byte[])value.Clone();
            }
        }
    }

    /// <summary>Gets the parent's <c>sys.path</c> from the preparation data (<c>sys_path</c>) when spawned by a Python
    /// parent, else null. Children that a Python parent's forkserver forks for this process get it (as CPython's
    /// children pass theirs on): the server is that parent's interpreter, whose <c>sys.path</c> it describes.</summary>
    internal static IReadOnlyList<string>? InheritedSysPath { get; set; }

    /// <summary>Gets this process's identity tuple (empty for a main process, <c>(1,)</c> for its first child).</summary>
    public static IReadOnlyList<int> Identity
    {
        get
        {
            lock (s_gate)
            {
                return s_identity;
            }
        }
    }

    /// <summary>The identity of the next child: ours plus the next value of the counter (CPython's
    /// <c>_current_process._identity + (next(_process_counter),)</c>).</summary>
    internal static int[] NextChildIdentity()
    {
        var count = Interlocked.Increment(ref s_childCounter);
        lock (s_gate)
        {
            return [.. s_identity, count];
        }
    }

    /// <summary>Adopts what a spawning parent sent (spawn.prepare and BaseProcess._bootstrap).</summary>
    internal static void Inherit(string? name, byte[]? authKey, IReadOnlyList<int>? identity, int? parentPid, string? parentName)
    {
        lock (s_gate)
        {
            if (authKey is not null)
            {
                s_authKey = (byte[])authKey.Clone();
            }

            if (identity is not null)
            {
                s_identity = [.. identity];
            }
        }

        if (name is not null)
        {
            Name = name;
        }

        ParentPid = parentPid;
        ParentName = parentName;
    }
}
