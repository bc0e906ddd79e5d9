using System.Globalization;
using System.Text.Json;
using Multiprocess.SharedCTypes;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.SharedCTypes;

/// <summary>The heap lays blocks out as CPython's <c>heap.Heap</c> does, and every ctype has CPython's size and pickled
/// name; CPython computes the expected values in the same run.</summary>
[TestFixture]
public sealed class SharedCTypesLayoutTests
{
    private const string HeapScript = """
        import json, sys
        from multiprocessing import heap
        h = heap.Heap()
        arenas, live, out = [], {}, []
        for op in json.loads(sys.argv[1]):
            if op[0] == 'm':
                b = h.malloc(op[1])
                if b[0] not in arenas:
                    arenas.append(b[0])
                live[op[2]] = b
                out.append([arenas.index(b[0]), b[1], b[2]])
            else:
                h.free(live.pop(op[1]))
        print(json.dumps({'blocks': out, 'arenas': [a.size for a in arenas], 'kept': len(h._arenas)}))
        """;

    private const string CTypesScript = """
        import ctypes, json
        from multiprocessing import sharedctypes
        names = ['c_bool', 'c_int8', 'c_uint8', 'c_int16', 'c_uint16', 'c_int32', 'c_uint32', 'c_int64', 'c_uint64',
                 'c_longlong', 'c_ulonglong', 'c_size_t', 'c_ssize_t', 'c_void_p', 'c_char', 'c_wchar', 'c_double']
        types = dict(sharedctypes.typecode_to_type, **{n: getattr(ctypes, n) for n in names})
        print(json.dumps({k: [t.__qualname__, ctypes.sizeof(t), t._type_] for k, t in types.items()}))
        """;

    [TestCase("3.8")]
    [TestCase("3.13")]
    [TestCase("3.14")]
    public void Heap_MallocAndFreeSequence_SameBlocksAsCPython(string version)
    {
        // A deterministic mix: small and odd sizes (alignment 8), frees that coalesce, and arenas past 4 MiB, which
        // are given back when wholly free.
        var random = new Random(19);
        var ops = new List<object[]>();
        var live = new List<int>();
        var next = 0;
        for (var i = 0; i < 400; i++)
        {
            if (live.Count > 0 && random.Next(3) == 0)
            {
                var at = random.Next(live.Count);
                ops.Add(["f", live[at]]);
                live.RemoveAt(at);
            }
            else
            {
                long size = random.Next(10) switch
                {
                    0 => 0,
                    1 => random.Next(4096, 70_000),
                    2 when i % 50 == 0 => 5 * 1024 * 1024,
                    _ => random.Next(1, 300),
                };
                ops.Add(["m", size, next]);
                live.Add(next++);
            }
        }

        var json = JsonSerializer.Serialize(ops);
        var expected = PythonInterpreters.RunScript(PythonInterpreters.Get(version), HeapScript, TimeSpan.FromSeconds(30), [json]).Trim();

        var heap = new Heap();
        var arenas = new List<Multiprocess.Shm.Arena>();
        var blocks = new Dictionary<long, HeapBlock>();
        var output = new List<long[]>();
        foreach (var op in JsonSerializer.Deserialize<JsonElement[][]>(json)!)
        {
            if (op[0].GetString() == "m")
            {
                var b = heap.Malloc(op[1].GetInt64());
                if (!arenas.Contains(b.Arena))
                {
                    arenas.Add(b.Arena);
                }

                blocks[op[2].GetInt64()] = b;
                output.Add([arenas.IndexOf(b.Arena), b.Start, b.Stop]);
            }
            else
            {
                var id = op[1].GetInt64();
                heap.Free(blocks[id]);
                blocks.Remove(id);
            }
        }

        var ours = JsonSerializer.Serialize(new { blocks = output, arenas = arenas.Select(a => a.Size), kept = heap.Arenas.Count });
        Assert.That(Normalize(ours), Is.EqualTo(Normalize(expected)));
        foreach (var b in blocks.Values)
        {
            heap.Free(b);
        }
    }

    [Test]
    public void Heap_FreeTwice_ThrowsNamingTheBlock()
    {
        var heap = new Heap();
        var b = heap.Malloc(10);
        Assert.That(b.Length, Is.EqualTo(16));
        heap.Free(b);
        Assert.That(() => heap.Free(b), Throws.ArgumentException.With.Message.Contains("[0, 16)"));
    }

    [TestCase("3.8")]
    [TestCase("3.13")]
    [TestCase("3.14")]
    public void CType_EveryTypecodeAndName_SizeAndPickledNameAsCPython(string version)
    {
        var expected = JsonSerializer.Deserialize<Dictionary<string, JsonElement[]>>(
            PythonInterpreters.RunScript(PythonInterpreters.Get(version), CTypesScript, TimeSpan.FromSeconds(30)))!;
        Assert.That(expected, Has.Count.EqualTo(14 + 17));
        Assert.Multiple(() =>
        {
            foreach (var (key, v) in expected)
            {
                var t = CType.Parse(key);
                Assert.That((t.Name, t.Size, t.Code.ToString()), Is.EqualTo((v[0].GetString(), v[1].GetInt32(), v[2].GetString())), key);
            }
        });
    }

    [TestCase("c_char_p", "pointer")]
    [TestCase("c_longdouble", "long double")]
    [TestCase("x", "typecode")]
    [TestCase("c_nothing", "not a supported ctypes simple type")]
    public void CType_Unsupported_ErrorSaysWhy(string name, string why) =>
        Assert.That(() => CType.Parse(name), Throws.ArgumentException.With.Message.Contains(why).And.Message.Contains(name));

    [Test]
    public void Values_WrongElementType_ThrowsNamingBoth()
    {
        Assert.That(() => new RawValue<int>(0, "d"), Throws.ArgumentException.With.Message.Contains("c_double").And.Message.Contains("Int32"));
        Assert.That(() => new SharedArray<float>(3, "q", null), Throws.ArgumentException.With.Message.Contains("c_long"));
        using var c = new RawValue<byte>((byte)'x', "c");
        using var b = new RawArray<bool>([true, false], "c_bool");
        Assert.That((c.ToString(), b.ToString(), b[0], b[1]), Is.EqualTo(("c_char(120)", "c_bool_Array_2", true, false)));
    }

    [Test]
    public void Values_AllocatedFromTheDefaultHeap_ZeroedAndAligned()
    {
        using var a = new RawArray<double>([1.5, 2.5, 3.5]);
        using var v = new SharedValue<long>(7);
        using var s = new SharedArray<short>(5);
        Assert.Multiple(() =>
        {
            Assert.That(a.Wrapper.Block.Start % 8, Is.Zero);
            Assert.That(v.Raw.Wrapper.Block.Start % 8, Is.Zero);
            Assert.That(a.ToArray(), Is.EqualTo(new[] { 1.5, 2.5, 3.5 }));
            Assert.That(v.Value, Is.EqualTo(7));
            Assert.That(s.ToArray(), Is.EqualTo(new short[5]));
            Assert.That(s.Lock, Is.InstanceOf<Multiprocess.Synchronize.RLock>());
            Assert.That(v.ToString(), Is.EqualTo("<Synchronized wrapper for c_long(7)>"));
        });
        v.Value = 8;
        s[4] = -3;
        Assert.That((v.Raw.Value, s.Raw.AsSpan()[4]), Is.EqualTo((8L, (short)-3)));
    }

    private static string Normalize(string json) => JsonSerializer.Serialize(JsonSerializer.Deserialize<JsonElement>(json)).ToString(CultureInfo.InvariantCulture);
}
