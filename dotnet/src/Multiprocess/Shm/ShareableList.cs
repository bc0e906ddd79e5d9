using System.Collections;
using System.Text;
using Multiprocess.Internal;

namespace Multiprocess.Shm;

/// <summary>
/// A fixed-length list of int, float, bool, None, str and bytes values in a shared memory segment, byte-compatible
/// with CPython's <c>multiprocessing.shared_memory.ShareableList</c> (3.9–3.13 layout, and 3.8's with
/// <see cref="ShareableListLayout.Sizes"/>): C# and Python processes read and write the same list.
/// </summary>
/// <remarks>
/// <para>Values are <see cref="long"/> (Python int), <see cref="double"/> (float), <see cref="bool"/>, null (None),
/// <see cref="string"/> (str) and <c>byte[]</c> (bytes); other integer and floating types are widened on assignment.
/// Python's rules hold: a str slot is sized from the character count at creation (8·(len//8 + 1)), so a long non-ASCII
/// string may be cut short; trailing NUL characters of str and bytes are lost; a str/bytes assignment must fit its slot;
/// any 8-byte type may replace any other.</para>
/// <para>Indexes are 0 … Count−1; <c>list[^1]</c> counts from the end as Python's negative indexes do.</para>
/// </remarks>
public sealed partial class ShareableList : IReadOnlyList<object?>, IDisposable
{
    private readonly ShareableListHeader _header;

    /// <summary>Creates a list in a new segment (CPython <c>ShareableList(sequence, name=name)</c>).</summary>
    /// <param name="sequence">The items.</param>
    /// <param name="name">The segment name, or null for a fresh <c>psm_XXXXXXXX</c>.</param>
    /// <param name="layout"><see cref="ShareableListLayout.Offsets"/> for CPython 3.9+, <see cref="ShareableListLayout.Sizes"/>
    /// for 3.8.</param>
    /// <param name="track">Register the segment with the resource tracker (CPython always does).</param>
    /// <exception cref="ArgumentException">An item's type cannot be stored, or a str/bytes item is too long for an
    /// 8-character format (more than 9,999,991 characters or bytes).</exception>
    /// <exception cref="OverflowException">An integer is outside int64.</exception>
    /// <exception cref="IOException">The segment name exists, or another OS error.</exception>
    public ShareableList(IEnumerable<object?> sequence, string? name = null, ShareableListLayout layout = ShareableListLayout.Offsets, bool track = true)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var items = sequence.Select((v, i) => ShareableListCodec.Normalize(v, i)).ToList();
        var (header, formats, codes) = ShareableListCodec.Plan(items, layout);
        _header = header;
        Shm = new SharedMemory(name, create: true, size: header.RequiredSize, track);
        try
        {
            ShareableListCodec.WriteNew(Shm.Span, header, items, formats, codes);
        }
        catch
        {
            Shm.Close();
            if (track)
            {
                Shm.Unlink();
            }

            throw;
        }
    }

    private ShareableList(SharedMemory shm, ShareableListLayout? layout)
    {
        Shm = shm;
        try
        {
            var buffer = shm.Span;
            _header = ShareableListCodec.ReadHeader(buffer, layout ?? ShareableListCodec.Detect(buffer));
        }
        catch
        {
            shm.Close();
            throw;
        }
    }

    /// <summary>Gets the segment holding the list (CPython's <c>shm</c>).</summary>
    public SharedMemory Shm { get; }

    /// <summary>Gets the binary layout in use.</summary>
    public ShareableListLayout Layout => _header.Layout;

    /// <summary>Gets the number of items (fixed for the life of the list).</summary>
    public int Count => _header.Count;

    /// <summary>Gets the struct format of all items, concatenated (CPython's <c>format</c>), e.g. <c>qdxxxxxxx?8s</c>.</summary>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    public string Format
    {
        get
        {
            var buffer = Shm.Span;
            var sb = new StringBuilder();
            for (var i = 0; i < Count; i++)
            {
                sb.Append(ShareableListCodec.ReadFormat(buffer, _header, i));
            }

            return sb.ToString();
        }
    }

    /// <summary>Gets or sets an item.</summary>
    /// <param name="index">0 … Count−1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ArgumentException">The value's type cannot be stored, or a str/bytes value exceeds its slot.</exception>
    /// <exception cref="OverflowException">An integer is outside int64.</exception>
    /// <exception cref="InvalidDataException">The stored format or code is not one CPython writes.</exception>
    /// <exception cref="DecoderFallbackException">A stored str is not valid UTF-8.</exception>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    public object? this[int index]
    {
        get => ShareableListCodec.ReadItem(Shm.Span, _header, CheckIndex(index));
        set => ShareableListCodec.WriteItem(Shm.Span, _header, CheckIndex(index), ShareableListCodec.Normalize(value, index));
    }

    /// <summary>Gets or sets an item, <c>^1</c> being the last (Python's <c>sl[-1]</c>).</summary>
    /// <param name="index">The index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public object? this[Index index]
    {
        get => this[index.GetOffset(Count)];
        set => this[index.GetOffset(Count)] = value;
    }

    /// <summary>Attaches to a list by segment name (CPython <c>ShareableList(name=name)</c>).</summary>
    /// <param name="name">The segment name as Python shows it.</param>
    /// <param name="layout">The layout, or null to tell from the header (exact except for empty lists, which read the
    /// same either way).</param>
    /// <param name="track">Register the segment with the resource tracker, as CPython ≤ 3.12 always does for attaching
    /// processes; false leaves its lifetime to the creator.</param>
    /// <returns>The list.</returns>
    /// <exception cref="FileNotFoundException">No segment has that name.</exception>
    /// <exception cref="InvalidDataException">The segment does not hold a ShareableList header of that layout.</exception>
    public static ShareableList Attach(string name, ShareableListLayout? layout = null, bool track = true) =>
        new(new SharedMemory(name, create: false, size: 0, track), layout);

    /// <summary>Reads a list in an attached segment (which it then owns).</summary>
    /// <param name="shm">The segment.</param>
    /// <param name="layout">The layout, or null to tell from the header.</param>
    /// <returns>The list.</returns>
    /// <exception cref="InvalidDataException">The segment does not hold a ShareableList header of that layout.</exception>
    public static ShareableList Over(SharedMemory shm, ShareableListLayout? layout = null) => new(shm, layout);

    /// <summary>The first index holding a value equal to <paramref name="value"/> by Python's <c>==</c> (1 == 1.0 ==
    /// True), or -1 (CPython's <c>index</c> raises ValueError instead).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The index or -1.</returns>
    public int IndexOf(object? value)
    {
        var v = ShareableListCodec.Normalize(value, -1);
        for (var i = 0; i < Count; i++)
        {
            if (PyEquals(this[i], v))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>How many items equal <paramref name="value"/> by Python's <c>==</c> (CPython's <c>count</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The number of equal items.</returns>
    public int CountOf(object? value)
    {
        var v = ShareableListCodec.Normalize(value, -1);
        return this.Count(item => PyEquals(item, v));
    }

    /// <summary>Whether some item equals <paramref name="value"/> by Python's <c>==</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>Whether it is present.</returns>
    public bool Contains(object? value) => IndexOf(value) >= 0;

    /// <inheritdoc/>
    public IEnumerator<object?> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Closes this process's view of the segment (the list stays; <c>Shm.Unlink()</c> removes it).</summary>
    public void Dispose() => Shm.Close();

    /// <summary>CPython's repr: <c>ShareableList([1, 2.5, 'a'], name='psm_1a2b3c4d')</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"ShareableList([{string.Join(", ", this.Select(PyRepr.Of))}], name={PyRepr.Str(Shm.Name)})";

    /// <summary>Python's <c>==</c> between two stored values.</summary>
    internal static bool PyEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (double x, double y) => x == y,
        (double x, _) when AsLong(b) is { } y => NumericEquals(y, x),
        (_, double y) when AsLong(a) is { } x => NumericEquals(x, y),
        _ when AsLong(a) is { } x && AsLong(b) is { } y => x == y,
        _ => false,
    };

    private static long? AsLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => null,
    };

    // int == float compares exactly in Python (no rounding of the int to a double).
    private static bool NumericEquals(long l, double d) =>
        !double.IsNaN(d) && Math.Floor(d) == d && d >= -9.2233720368547758e18 && d < 9.2233720368547758e18 && (long)d == l;

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index out of range: the list has {Count} items");
        }

        return index;
    }
}
