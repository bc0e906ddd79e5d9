namespace Multiprocess.Shm;

/// <content>Reading lists out of raw bytes (a read-only mapping, a copy), without attaching.</content>
public sealed partial class ShareableList
{
    /// <summary>Whether <paramref name="segment"/> is exactly a ShareableList as CPython writes it: a consistent header,
    /// the size CPython requests for it (to the byte), and only the formats and codes CPython stores.</summary>
    /// <param name="segment">The whole segment.</param>
    /// <param name="layout">The layout found.</param>
    /// <param name="count">The item count.</param>
    /// <param name="reason">Why not, when it is not.</param>
    /// <returns>Whether it is a ShareableList.</returns>
    public static bool IsShareableList(ReadOnlySpan<byte> segment, out ShareableListLayout layout, out int count, out string? reason)
    {
        layout = ShareableListCodec.Detect(segment);
        count = 0;
        try
        {
            var header = ShareableListCodec.ReadHeader(segment, layout);
            count = header.Count;
            reason = ShareableListCodec.Validate(segment, header);
        }
        catch (InvalidDataException e)
        {
            reason = e.Message;
        }

        return reason is null;
    }

    /// <summary>Decodes every item of a list held in <paramref name="segment"/>.</summary>
    /// <param name="segment">The whole segment.</param>
    /// <param name="layout">The layout, or null to tell from the header.</param>
    /// <returns>The items: long, double, bool, null, string or byte[].</returns>
    /// <exception cref="InvalidDataException">The bytes are not a ShareableList of that layout.</exception>
    /// <exception cref="System.Text.DecoderFallbackException">A str item is not valid UTF-8.</exception>
    public static object?[] Decode(ReadOnlySpan<byte> segment, ShareableListLayout? layout = null)
    {
        var header = ShareableListCodec.ReadHeader(segment, layout ?? ShareableListCodec.Detect(segment));
        var items = new object?[header.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ShareableListCodec.ReadItem(segment, header, i);
        }

        return items;
    }
}
