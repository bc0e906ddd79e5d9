namespace Multiprocess.Shm;

/// <content>Named factories, for call sites that read better than CPython's boolean <c>create</c>.</content>
public sealed partial class SharedMemory
{
    /// <summary>Creates a new segment, zero-filled, mode 0600, failing if the name exists.</summary>
    /// <param name="size">The size in bytes (&gt; 0).</param>
    /// <param name="name">The name as Python shows it, or null for a fresh <c>psm_XXXXXXXX</c>.</param>
    /// <param name="track">Register with <see cref="ResourceTracking.ResourceTracker.Default"/>.</param>
    /// <returns>The segment, mapped.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="size"/> is zero, or the name cannot be tracked.</exception>
    /// <exception cref="IOException">The name exists, or another OS error.</exception>
    public static SharedMemory Create(long size, string? name = null, bool track = true) => new(name, create: true, size, track);

    /// <summary>Attaches to an existing segment by name; its size is the segment's.</summary>
    /// <param name="name">The name as Python shows it (<c>psm_…</c>).</param>
    /// <param name="track">Register with <see cref="ResourceTracking.ResourceTracker.Default"/> as CPython ≤ 3.12 always
    /// does (the tracker then unlinks the segment when this process tree ends; pass false to leave it to its
    /// creator, like CPython 3.13's <c>track=False</c>).</param>
    /// <returns>The segment, mapped.</returns>
    /// <exception cref="FileNotFoundException">No segment has that name.</exception>
    /// <exception cref="ArgumentException">The segment is empty, or the name cannot be tracked.</exception>
    /// <exception cref="IOException">Another OS error.</exception>
    public static SharedMemory Attach(string name, bool track = true) => new(name, create: false, size: 0, track);

    /// <summary>Removes a segment by name without attaching (CPython's <c>_posixshmem.shm_unlink</c>); unregisters
    /// nothing.</summary>
    /// <param name="name">The name as Python shows it (<c>psm_…</c>).</param>
    /// <exception cref="FileNotFoundException">No segment has that name.</exception>
    /// <exception cref="IOException">Another OS error.</exception>
    public static void UnlinkByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var path = "/" + name;
        if (Internal.LibcShm.ShmUnlink(path) < 0)
        {
            Internal.ThrowHelper.ThrowLastOSError(path);
        }
    }
}
