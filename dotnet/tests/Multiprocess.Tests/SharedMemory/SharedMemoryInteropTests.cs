using System.Text;
using Multiprocess.Shm;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Shm;

/// <summary>Segments and ShareableLists created on each side and read and written on the other, with every CPython.</summary>
[TestFixture]
public sealed class SharedMemoryInteropTests
{
    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void SharedMemory_CreatedInCSharp_PythonAttachesReadsAndWrites(string version)
    {
        using var py = Start(version);
        using var shm = SharedMemory.Create(4096, track: false);
        try
        {
            "from C#"u8.CopyTo(shm.Span[100..]);
            py.Exec($"s = attach('{shm.Name}')");
            Assert.That(py.Eval("(s.name, s.size, bytes(s.buf[100:107]))"), Is.EqualTo($"('{shm.Name}', 4096, b'from C#')"));
            py.Exec("s.buf[4000:4010] = b'from Pyth\\xf8'; s.close()");
            Assert.That(shm.Span[4000..4010].ToArray(), Is.EqualTo("from Pyth"u8.ToArray().Append((byte)0xf8).ToArray()));
        }
        finally
        {
            shm.Unlink();
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void SharedMemory_CreatedInPython_CSharpAttachesReadsAndWrites(string version)
    {
        using var py = Start(version);
        py.Exec("s = sm.SharedMemory(create=True, size=10000); s.buf[:6] = b'python'");
        var name = py.Eval("s.name").Trim('\'');
        try
        {
            Assert.That(name, Does.Match("^psm_[0-9a-f]{8}$"));
            using var shm = SharedMemory.Attach(name, track: false);
            Assert.That(shm.Size, Is.EqualTo(10000));
            Assert.That(Encoding.ASCII.GetString(shm.Span[..6]), Is.EqualTo("python"));
            "csharp"u8.CopyTo(shm.Span[9994..]);
            Assert.That(py.Eval("bytes(s.buf[9994:])"), Is.EqualTo("b'csharp'"));
        }
        finally
        {
            py.Exec("s.close(); s.unlink()");
        }

        Assert.That(File.Exists("/dev/shm/" + name), Is.False);
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void ShareableList_CreatedInCSharp_PythonReadsAndWrites(string version)
    {
        using var py = Start(version);
        var layout = version == "3.8" ? ShareableListLayout.Sizes : ShareableListLayout.Offsets;
        using var sl = new ShareableList([1, -2.5, true, null, "hé", "xy"u8.ToArray(), long.MinValue, "éééébcd"], layout: layout, track: false);
        try
        {
            py.Exec($"sl = sm.ShareableList(name='{sl.Shm.Name}')");
            Assert.That(py.Eval("list(sl)"), Is.EqualTo("[1, -2.5, True, None, 'hé', b'xy', -9223372036854775808, 'éééé']"));
            Assert.That(py.Eval("(len(sl), sl.format)"), Is.EqualTo($"(8, '{sl.Format}')"));
            py.Exec("sl[0] = 'abcdefg'; sl[1] = None; sl[3] = 7; sl[4] = b'12345678'; sl[-1] = 1e300");
            Assert.That(sl.ToList(), Is.EqualTo(new object?[] { "abcdefg", null, true, 7L, "12345678"u8.ToArray(), "xy"u8.ToArray(), long.MinValue, 1e300 }));
            Assert.That(sl.Format, Is.EqualTo(py.Eval("sl.format").Trim('\'')));
            Assert.That(py.Eval("sl.shm.size"), Is.EqualTo(sl.Shm.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            py.Exec("sl.shm.close()");
        }
        finally
        {
            sl.Shm.Unlink();
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void ShareableList_CreatedInPython_CSharpReadsAndWrites(string version)
    {
        using var py = Start(version);
        py.Exec("sl = sm.ShareableList([7, 0.1, False, None, 'x' * 20, b'\\x00\\x01', 'héé'])");
        var name = py.Eval("sl.shm.name").Trim('\'');
        try
        {
            using var sl = ShareableList.Attach(name, track: false);
            Assert.That(sl.Layout, Is.EqualTo(version == "3.8" ? ShareableListLayout.Sizes : ShareableListLayout.Offsets));
            Assert.That(sl.Format, Is.EqualTo(py.Eval("sl.format").Trim('\'')));
            Assert.That(sl.ToList(), Is.EqualTo(new object?[] { 7L, 0.1, false, null, new string('x', 20), new byte[] { 0, 1 }, "héé" }));
            sl[0] = "str!";
            sl[2] = 2.25;
            sl[4] = "y";
            sl[5] = new byte[] { 9, 0, 9 };
            sl[6] = long.MaxValue;
            var e = Assert.Throws<ArgumentException>(() => sl[4] = new string('z', 25));
            Assert.That(e!.Message, Does.StartWith("bytes/str item exceeds available storage"));
            Assert.That(py.Eval("list(sl)"), Is.EqualTo("['str!', 0.1, 2.25, None, 'y', b'\\t\\x00\\t', 9223372036854775807]"));
            Assert.That(py.Eval("sl.format"), Is.EqualTo($"'{sl.Format}'"));
        }
        finally
        {
            py.Exec("sl.shm.close(); sl.shm.unlink()");
        }
    }

    [Test]
    public void ShareableList_SizesFromPython_AgreeForManyShapes()
    {
        // Every version computes the segment size with struct.calcsize; C# must request the same number of bytes.
        var cases = new[] { "[]", "[1]", "['']", "['a' * 7]", "['a' * 8]", "[b'x' * 15, 1.5, None, True]", "['é' * 9]" };
        foreach (var version in new[] { "3.8", "3.13" })
        {
            using var py = Start(version);
            foreach (var c in cases)
            {
                py.Exec($"sl = sm.ShareableList({c}); size = sl.shm.size; sl.shm.close(); sl.shm.unlink()");
                var items = py.Eval($"{c}");
                var layout = version == "3.8" ? ShareableListLayout.Sizes : ShareableListLayout.Offsets;
                using var ours = new ShareableList(ParseSimple(c), layout: layout, track: false);
                ours.Shm.Unlink();
                Assert.That(ours.Shm.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(py.Eval("size")), $"{version} {c} {items}");
            }
        }
    }

    private static object?[] ParseSimple(string python) => python switch
    {
        "[]" => [],
        "[1]" => [1],
        "['']" => [""],
        "['a' * 7]" => [new string('a', 7)],
        "['a' * 8]" => [new string('a', 8)],
        "[b'x' * 15, 1.5, None, True]" => [Encoding.ASCII.GetBytes(new string('x', 15)), 1.5, null, true],
        "['é' * 9]" => [new string('é', 9)],
        _ => throw new ArgumentException(python),
    };

    private static PythonRepl Start(string version)
    {
        var py = PythonRepl.Start(version);
        py.Exec(PythonPrelude.Code);
        return py;
    }
}
