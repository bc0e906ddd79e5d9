using Multiprocess.Managers.Python;

namespace Multiprocess.Managers.Server;

/// <summary>
/// SharedMemoryServer's <c>_SharedMemoryTracker</c>: the names clients registered with <c>track_segment</c>;
/// <c>release_segment</c> unlinks one, <c>shutdown</c> unlinks them all. Names come without the leading slash.
/// </summary>
internal sealed class SegmentTracker
{
    private readonly List<string> _names = [];

    public void Track(string name)
    {
        lock (_names)
        {
            _names.Add(name);
        }
    }

    /// <summary>Removes and unlinks one segment (<c>destroy_segment</c>).</summary>
    /// <exception cref="Pickle.PyRaisedException">ValueError when it is not tracked; FileNotFoundError when it no longer exists.</exception>
    public void Release(string name)
    {
        lock (_names)
        {
            if (!_names.Remove(name))
            {
                throw PyErrors.ValueError("list.remove(x): x not in list");
            }
        }

        ShmNative.Unlink(name);
    }

    public List<object?> List()
    {
        lock (_names)
        {
            return [.. _names];
        }
    }

    /// <summary>Unlinks every tracked segment (the server is shutting down); returns the names it could not unlink.</summary>
    public IReadOnlyList<string> UnlinkAll()
    {
        string[] names;
        lock (_names)
        {
            names = [.. _names];
            _names.Clear();
        }

        var failed = new List<string>();
        foreach (var name in names)
        {
            try
            {
                ShmNative.Unlink(name);
            }
            catch (Pickle.PyRaisedException)
            {
                failed.Add(name);
            }
        }

        return failed;
    }
}
