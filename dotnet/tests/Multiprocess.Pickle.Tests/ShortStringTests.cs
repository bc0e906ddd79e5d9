namespace Multiprocess.Pickle.Tests;

/// <summary>The unpickler reuses short ASCII strings it decoded recently (Unpickler.Strings.cs): the values must not change.</summary>
public class ShortStringTests
{
    [Test]
    public void ManyShortStrings_TwiceOver_EachDecodedAsWritten()
    {
        // More distinct strings than the cache has slots, so slots are overwritten and compared on every lookup.
        var strings = Enumerable.Range(0, 500).Select(i => i % 3 == 0 ? $"k{i}" : i % 3 == 1 ? $"key-{i:x8}-{i}" : new string('a', i % 48 + 1)).ToList();
        var list = new List<object?>(strings.Concat(strings));
        var back = (List<object?>)PickleSerializer.Loads(PickleSerializer.Dumps(list, new PickleOptions { Protocol = 4 }))!;
        Assert.That(back, Is.EqualTo(list));
    }

    [Test]
    public void NonAsciiAndSameBytesDifferentLengths_NotConfused()
    {
        object?[] values = ["héllo", "hello", "héllo", "€", "\u00e9", "hello\0", "hello", "", "x", "\ud83d\ude00"];
        foreach (var v in values)
        {
            Assert.That(PickleSerializer.Loads(PickleSerializer.Dumps(v)), Is.EqualTo(v));
        }

        var back = (PyTuple)PickleSerializer.Loads(PickleSerializer.Dumps(new PyTuple(values)))!;
        Assert.That(back, Is.EqualTo(new PyTuple(values)));
    }
}
