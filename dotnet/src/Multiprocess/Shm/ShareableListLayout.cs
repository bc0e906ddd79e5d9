namespace Multiprocess.Shm;

/// <summary>The two binary layouts of <c>ShareableList</c> (protocols.md §6.2–§6.3); a 3.8 process and a 3.9+
/// process cannot share one list.</summary>
public enum ShareableListLayout
{
    /// <summary>CPython 3.9–3.13: the header holds n + 1 cumulative offsets of the item slots.</summary>
    Offsets = 0,

    /// <summary>CPython 3.8: the header holds n slot sizes.</summary>
    Sizes = 1,
}
