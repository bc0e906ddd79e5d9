using System.Text;
using Multiprocess.Shm;

namespace Multiprocess.Fuzz;

/// <summary>
/// <c>shareablelist</c>: reading a ShareableList out of a segment's bytes (Shm/ShareableList.Inspect.cs), as
/// <c>multiprocess shm show</c> and an attaching process do with whatever another process left there. Byte 0 picks
/// the layout (told from the header, 3.9+ offsets, 3.8 sizes); the rest is the segment. IsShareableList must answer
/// without throwing, and Decode must return items or fail with its documented exceptions; a segment that
/// IsShareableList accepts must decode (but for a str slot that is not UTF-8, as in CPython).
/// </summary>
internal static class ShareableListTarget
{
    public static FuzzTarget Create() => new("shareablelist", "ShareableList.IsShareableList and Decode on a segment's bytes", Run, Seeds);

    private static void Run(byte[] input)
    {
        if (input.Length < 1)
        {
            return;
        }

        var segment = input.AsSpan(1);
        ShareableListLayout? layout = (input[0] % 3) switch
        {
            0 => null,
            1 => ShareableListLayout.Offsets,
            _ => ShareableListLayout.Sizes,
        };
        var valid = ShareableList.IsShareableList(segment, out var detected, out var count, out _);
        try
        {
            var items = ShareableList.Decode(segment, layout);
            if (valid && (layout ?? detected) == detected && items.Length != count)
            {
                throw new FuzzFindingException($"IsShareableList counted {count} items, Decode returned {items.Length}");
            }
        }
        catch (InvalidDataException e)
        {
            if (valid && (layout ?? detected) == detected)
            {
                throw new FuzzFindingException($"IsShareableList accepted a segment that Decode refuses: {e.Message}");
            }
        }
        catch (DecoderFallbackException)
        {
            // A str slot that is not UTF-8: CPython's ShareableList raises UnicodeDecodeError for it too.
        }
    }

    private static IEnumerable<(string, byte[])> Seeds(string repo)
    {
        object?[][] lists =
        [
            [1L, 2.5, "three", "é", true, null, new byte[] { 0, 1, 2 }],
            [long.MinValue, double.NaN, "", new byte[0], false],
            ["a much longer string than eight bytes, to take a wider slot"],
            [],
        ];
        for (var i = 0; i < lists.Length; i++)
        {
            foreach (var layout in new[] { ShareableListLayout.Offsets, ShareableListLayout.Sizes })
            {
                var (header, formats, codes) = ShareableListCodec.Plan(lists[i], layout);
                var segment = new byte[header.RequiredSize];
                ShareableListCodec.WriteNew(segment, header, lists[i], formats, codes);
                yield return ($"list{i}-{layout}", [(byte)(layout == ShareableListLayout.Offsets ? 0 : 2), .. segment]);
            }
        }
    }
}
