using System.Buffers.Binary;
using Multiprocess.Shm;

namespace Multiprocess.Tests.Shm;

[TestFixture]
public sealed class ShareableListTests
{
    private readonly List<SharedMemory> _created = [];

    [TearDown]
    public void UnlinkCreated()
    {
        foreach (var shm in _created)
        {
            shm.Close();
            try
            {
                shm.Unlink();
            }
            catch (FileNotFoundException)
            {
                // the test removed it
            }
        }

        _created.Clear();
    }

    [Test]
    public void Create_ProtocolsExample_PythonsSizeFormatAndValues()
    {
        // docs/protocols.md §6.2: [1, 2.5, True, None, 'hé', b'xy'] → 166 bytes (verified on CPython 3.12/3.13).
        var sl = New([1, 2.5, true, null, "hé", "xy"u8.ToArray()]);
        Assert.That(sl.Shm.Size, Is.EqualTo(166));
        Assert.That(sl.Format, Is.EqualTo("qdxxxxxxx?xxxxxx?x8s8s"));
        Assert.That(sl.ToList(), Is.EqualTo(new object?[] { 1L, 2.5, true, null, "hé", "xy"u8.ToArray() }));
        Assert.That(sl.ToString(), Is.EqualTo($"ShareableList([1, 2.5, True, None, 'hé', b'xy'], name='{sl.Shm.Name}')"));
        var span = sl.Shm.Span;
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(span), Is.EqualTo(6));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(span[8..]), Is.EqualTo(0));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(span[56..]), Is.EqualTo(48), "offsets[6] = total data");
        Assert.That(span[^6..].ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 3, 1, 2 }), "back-transform codes");
    }

    [Test]
    public void Create_Empty_SixteenBytesOrEightIn38Layout()
    {
        Assert.That(New([]).Shm.Size, Is.EqualTo(16));
        Assert.That(New([], ShareableListLayout.Sizes).Shm.Size, Is.EqualTo(8));
    }

    [Test]
    public void Create_38Layout_HeaderHoldsSlotSizes()
    {
        var sl = New([1, "abcdefgh", null], ShareableListLayout.Sizes);
        var span = sl.Shm.Span;
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(span[8..]), Is.EqualTo(8));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(span[16..]), Is.EqualTo(16));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(span[24..]), Is.EqualTo(8));
        Assert.That(sl.Shm.Size, Is.EqualTo(8 + 24 + 32 + 24 + 3));
        using var again = ShareableList.Attach(sl.Shm.Name, track: false);
        Assert.That(again.Layout, Is.EqualTo(ShareableListLayout.Sizes));
        Assert.That(again.ToList(), Is.EqualTo(new object?[] { 1L, "abcdefgh", null }));
    }

    [Test]
    public void StrSlot_SizedByCharacters_LongNonAsciiIsCutAsInPython()
    {
        // 7 characters → an 8-byte slot, but 11 UTF-8 bytes: struct 's' keeps the first 8 (four é).
        var sl = New(["éééébcd", "😀"]);
        Assert.That(sl.Format, Is.EqualTo("8s8s"));
        Assert.That(sl[0], Is.EqualTo("éééé"));
        Assert.That(sl[1], Is.EqualTo("😀"));
    }

    [Test]
    public void Set_StrLongerThanSlot_ThrowsPythonsMessage()
    {
        var sl = New(["abc"]);
        var e = Assert.Throws<ArgumentException>(() => sl[0] = "123456789");
        Assert.That(e!.Message, Does.StartWith("bytes/str item exceeds available storage"));
        Assert.That(sl[0], Is.EqualTo("abc"));
    }

    [Test]
    public void Set_AnyScalarIntoAnySlot_KeepsSlotWidth()
    {
        var sl = New(["sixteen chars...", 1]);
        sl[0] = 3.5;
        Assert.That(sl.Format, Is.EqualTo("dq"));
        sl[0] = "back to a str";
        Assert.That(sl.Format, Is.EqualTo("24sq"), "the slot's width, not the value's");
        sl[1] = "8 bytes!";
        sl[^1] = false;
        Assert.That(sl.ToList(), Is.EqualTo(new object?[] { "back to a str", false }));
    }

    [Test]
    public void Read_TrailingNuls_AreStrippedAsInPython()
    {
        var sl = New(["ab\0\0", new byte[] { 1, 0, 0 }]);
        Assert.That(sl[0], Is.EqualTo("ab"));
        Assert.That(sl[1], Is.EqualTo(new byte[] { 1 }));
    }

    [Test]
    public void Create_UnsupportedType_NamesItAndCreatesNothing()
    {
        var before = Directory.GetFiles("/dev/shm").Length;
        var e = Assert.Throws<ArgumentException>(() => New([1, new List<int>()]));
        Assert.That(e!.Message, Does.Contain("item 1").And.Contain("List"));
        Assert.Throws<OverflowException>(() => New([ulong.MaxValue]));
        Assert.That(Directory.GetFiles("/dev/shm").Length, Is.LessThanOrEqualTo(before));
    }

    [Test]
    public void Create_ItemNeedingNineCharacterFormat_Refused()
    {
        var e = Assert.Throws<ArgumentException>(() => New([new byte[10_000_000]]));
        Assert.That(e!.Message, Does.Contain("'10000008s'"));
        Assert.That(New([new byte[9_999_991]]).Format, Is.EqualTo("9999992s"));
    }

    [Test]
    public void Index_OutOfRange_Throws()
    {
        var sl = New([1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = sl[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => sl[-1] = 2);
    }

    [Test]
    public void IndexOfAndCountOf_UsePythonEquality()
    {
        var sl = New([1, 1.0, true, "1", null, 2]);
        Assert.That(sl.CountOf(1), Is.EqualTo(3));
        Assert.That(sl.IndexOf(2.0), Is.EqualTo(5));
        Assert.That(sl.IndexOf(null), Is.EqualTo(4));
        Assert.That(sl.IndexOf("2"), Is.EqualTo(-1));
        Assert.That(sl.Contains("1"), Is.True);
    }

    [Test]
    public void Attach_PlainSegment_NotAShareableList()
    {
        using var shm = SharedMemory.Create(64, track: false);
        _created.Add(shm);
        BinaryPrimitives.WriteInt64LittleEndian(shm.Span, 1_000_000);
        var e = Assert.Throws<InvalidDataException>(() => ShareableList.Over(SharedMemory.Attach(shm.Name, track: false)));
        Assert.That(e!.Message, Does.Contain("item count 1000000"));
    }

    [Test]
    public void IsShareableList_RequiresCPythonsExactSize()
    {
        var sl = New([1, "x"]);
        Assert.That(ShareableList.IsShareableList(sl.Shm.Span, out var layout, out var count, out var reason), Is.True, reason);
        Assert.That((layout, count), Is.EqualTo((ShareableListLayout.Offsets, 2)));
        var zeros = new byte[4096];
        Assert.That(ShareableList.IsShareableList(zeros, out _, out _, out reason), Is.False);
        Assert.That(reason, Does.Contain("takes 16 bytes, but the segment has 4096"));
    }

    private ShareableList New(object?[] items, ShareableListLayout layout = ShareableListLayout.Offsets)
    {
        var sl = new ShareableList(items, layout: layout, track: false);
        _created.Add(sl.Shm);
        return sl;
    }
}
