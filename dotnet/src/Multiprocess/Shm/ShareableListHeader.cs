namespace Multiprocess.Shm;

/// <summary>
/// The fixed part of a ShareableList: its layout, item count and slot boundaries, from which every other offset
/// follows. Fixed at creation; formats and codes change with assignments and are read each time.
/// </summary>
internal sealed class ShareableListHeader
{
    private readonly long[] _offsets;

    /// <param name="layout">The layout.</param>
    /// <param name="count">The item count n.</param>
    /// <param name="offsets">n + 1 cumulative slot offsets from the data start (for 3.8, computed from the sizes).</param>
    public ShareableListHeader(ShareableListLayout layout, int count, long[] offsets)
    {
        Layout = layout;
        Count = count;
        _offsets = offsets;
    }

    public ShareableListLayout Layout { get; }

    public int Count { get; }

    public IReadOnlyList<long> Offsets => _offsets;

    /// <summary>Gets where the values start: after 'q' n and (3.9+) n + 1 offsets or (3.8) n sizes.</summary>
    public long DataStart => 8 + (8L * (Layout == ShareableListLayout.Offsets ? Count + 1 : Count));

    /// <summary>Gets the segment size CPython requests: <c>struct.calcsize('q' + header + formats + '8s'*n + 'b'*n)</c>.</summary>
    public long RequiredSize => FormatsStart + (8L * Count) + Count;

    private long FormatsStart => DataStart + _offsets[Count];

    public long ItemOffset(int index) => DataStart + _offsets[index];

    public int SlotSize(int index) => (int)(_offsets[index + 1] - _offsets[index]);

    public long FormatOffset(int index) => FormatsStart + (8L * index);

    public long CodeOffset(int index) => FormatsStart + (8L * Count) + index;
}
