using System.Buffers;
using System.Runtime.InteropServices;

namespace Multiprocess.Pickle.Tests;

/// <summary>Out-of-band buffers, persistent ids, extension codes, protocol 0 text forms, inputs and outputs.</summary>
public class ProtocolFeatureTests
{
    [Test]
    public void Dumps_PickleBufferOutOfBand_WritesOnlyNextBufferAndNeverCopies()
    {
        var big = new byte[64 * 1024 * 1024];
        big[12345] = 42;
        var sent = new List<PickleBuffer>();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = PickleSerializer.Dumps(new PickleBuffer(big.AsMemory()),
            new PickleOptions { Protocol = 5, BufferCallback = b => { sent.Add(b); return false; } });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var back = (PickleBuffer)PickleSerializer.Loads(bytes, new UnpickleOptions { Buffers = sent })!;
        Assert.Multiple(() =>
        {
            Assert.That(bytes, Is.EqualTo(new byte[] { 0x80, 5, Opcodes.NEXT_BUFFER, Opcodes.STOP }));   // as CPython writes it
            Assert.That(allocated, Is.LessThan(64 * 1024));
            Assert.That(MemoryMarshal.TryGetArray(back.Memory, out var segment) && ReferenceEquals(segment.Array, big), Is.True);
            Assert.That(back.IsReadOnly, Is.False);
        });
    }

    [Test]
    public void Dumps_ReadOnlyBufferOutOfBand_AddsReadOnlyBuffer()
    {
        var sent = new List<PickleBuffer>();
        var bytes = PickleSerializer.Dumps(new PickleBuffer((ReadOnlyMemory<byte>)new byte[10]),
            new PickleOptions { Protocol = 5, BufferCallback = b => { sent.Add(b); return false; } });
        Assert.Multiple(() =>
        {
            Assert.That(bytes, Is.EqualTo(new byte[] { 0x80, 5, Opcodes.NEXT_BUFFER, Opcodes.READONLY_BUFFER, Opcodes.STOP }));
            Assert.That(((PickleBuffer)PickleSerializer.Loads(bytes, new UnpickleOptions { Buffers = [new PickleBuffer(new byte[10].AsMemory())] })!).IsReadOnly, Is.True);
        });
    }

    [Test]
    public void Dumps_PickleBufferCallbackKeepsInBand_WritesBytearray8()
    {
        var bytes = PickleSerializer.Dumps(new PickleBuffer(new byte[] { 1, 2 }.AsMemory()), new PickleOptions { Protocol = 5, BufferCallback = _ => true });
        Assert.That(PickleSerializer.Loads(bytes), Is.EqualTo(new PyByteArray(new byte[] { 1, 2 }.AsSpan())));
    }

    [Test]
    public void Loads_NextBufferWithoutBuffers_ThrowsNamingOpcode()
    {
        var ex = Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(new byte[] { 0x80, 5, 0x97, 0x2e }));
        Assert.That(ex!.Message, Does.Contain("NEXT_BUFFER").And.Contain("offset 2"));
    }

    [Test]
    public void PersistentId_HookBothWays_RoundTrips()
    {
        var bytes = PickleSerializer.Dumps(new List<object?> { "keep", "ref:1" },
            new PickleOptions { PersistentId = o => o is string s && s.StartsWith("ref:", StringComparison.Ordinal) ? s[4..] : null });
        var back = (List<object?>)PickleSerializer.Loads(bytes, new UnpickleOptions { PersistentLoad = id => "loaded " + id })!;
        Assert.That(back, Is.EqualTo(new object?[] { "keep", "loaded 1" }));
        Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(bytes));
    }

    [Test]
    public void Loads_ProtocolZeroPersid_KeptAsPyPersistentId()
    {
        var value = PickleSerializer.Loads("(Pabc\nt."u8, new UnpickleOptions { PersistentLoad = id => new PyPersistentId(id) });
        Assert.That(((PyPersistentId)((PyTuple)value!)[0]!).Id, Is.EqualTo("abc"));
    }

    [TestCase(200, "82c8")]
    [TestCase(0x1234, "833412")]
    [TestCase(0x123456, "8456341200")]
    public void ExtensionCodes_RegisteredGlobal_Ext124BothWays(int code, string hex)
    {
        var ext = new ExtensionRegistry();
        ext.Add("app.models", "Thing", code);
        var bytes = PickleSerializer.Dumps(new PyGlobal("app.models", "Thing"), new PickleOptions { Extensions = ext });
        Assert.Multiple(() =>
        {
            // CPython frames any body of 4 bytes or more: FRAME + 8-byte length, then EXTn code STOP.
            var body = hex + "2e";
            var framed = body.Length / 2 >= 4 ? "95" + Convert.ToHexString(BitConverter.GetBytes((long)(body.Length / 2))).ToLowerInvariant() + body : body;
            Assert.That(Convert.ToHexString(bytes).ToLowerInvariant(), Is.EqualTo("8004" + framed));
            Assert.That(PickleSerializer.Loads(bytes, new UnpickleOptions { Extensions = ext }), Is.EqualTo(new PyGlobal("app.models", "Thing")));
            Assert.That(Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(bytes))!.Message, Does.Contain("unregistered extension code " + code));
        });
    }

    [Test]
    public void Loads_ProtocolZeroTextForms_Python2Style()
    {
        // INT bools, LONG with L, FLOAT, STRING with escapes, UNICODE raw escapes, GET/PUT, DICT, old __builtin__ names.
        var text = "(I01\nI00\nL123456789012345678901234567890L\nF-1.5\nS'a\\n\\x41\\'b'\np0\nVx\\u20acy\\U0001f600\np1\ng0\n(dp2\nS'k'\np3\nI7\nsc__builtin__\nset\np4\n((lp5\nI1\natp6\nRp7\nt.";
        var value = (PyTuple)PickleSerializer.Loads(System.Text.Encoding.Latin1.GetBytes(text))!;
        Assert.That(PyRepr.Repr(value), Is.EqualTo("(True, False, 123456789012345678901234567890, -1.5, \"a\\nA'b\", 'x€y😀', \"a\\nA'b\", {'k': 7}, {1})"));
    }

    [Test]
    public void Loads_Python2StrNonAscii_DependsOnPy2StringsOption()
    {
        var pickle = new byte[] { 0x80, 2, (byte)'U', 2, 0xE9, 0x41, (byte)'.' };
        Assert.Multiple(() =>
        {
            Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(pickle));
            Assert.That(PickleSerializer.Loads(pickle, new UnpickleOptions { Py2Strings = Py2StringEncoding.Latin1 }), Is.EqualTo("éA"));
            Assert.That(PickleSerializer.Loads(pickle, new UnpickleOptions { Py2Strings = Py2StringEncoding.Bytes }), Is.EqualTo(new byte[] { 0xE9, 0x41 }));
        });
    }

    [Test]
    public void Loads_MultiSegmentSequence_SameAsContiguous()
    {
        var bytes = PickleSerializer.Dumps(Enumerable.Range(0, 5000).Select(i => (object?)("s" + i)).ToList());
        var first = new Segment(bytes.AsMemory(0, 100));
        var last = first.Append(bytes.AsMemory(100, 7000)).Append(bytes.AsMemory(7100));
        var value = PickleSerializer.Loads(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));
        Assert.That(PyObjectComparer.Structural.Equals(value, PickleSerializer.Loads(bytes)), Is.True);
    }

    [Test]
    public void Dump_BufferWriter_SameBytesAsDumpsIncludingLargePayloads()
    {
        var value = new List<object?> { new byte[200_000], new string('x', 100_000), Enumerable.Range(0, 30_000).Select(i => (object?)(long)i).ToList() };
        var writer = new ArrayBufferWriter<byte>(16);
        PickleSerializer.Dump(writer, value);
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(PickleSerializer.Dumps(value)));
    }

    [Test]
    public void Load_TwoPicklesInARow_ReportsBytesConsumed()
    {
        var a = PickleSerializer.Dumps("first");
        var b = PickleSerializer.Dumps(2L);
        var both = a.Concat(b).ToArray();
        var first = PickleSerializer.Load(both, out var used);
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo("first"));
            Assert.That(used, Is.EqualTo(a.Length));
            Assert.That(PickleSerializer.Loads(both.AsSpan(used)), Is.EqualTo(2L));
        });
    }

    [Test]
    public void Loads_Errors_NameOpcodeAndOffset()
    {
        var ex = Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(new byte[] { 0x80, 4, (byte)'h', 5, (byte)'.' }));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Message, Is.EqualTo("Memo key 5 not found (memo has 0 entries) (opcode 0x68 BINGET at offset 2)"));
            Assert.That(ex.Offset, Is.EqualTo(2));
            Assert.That(ex.Opcode, Is.EqualTo(Opcodes.BINGET));
        });
    }

    [Test]
    public void Security_DepthLimit_AppliesBothWays()
    {
        object? nested = null;
        for (var i = 0; i < 6000; i++)
        {
            nested = new List<object?> { nested };
        }

        var deep = new Thread(() =>
        {
            Assert.Throws<PicklingException>(() => PickleSerializer.Dumps(nested));
            var bytes = PickleSerializer.Dumps(nested, new PickleOptions { Security = PickleSecurity.Trusted });
            var ex = Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(bytes));
            Assert.That(ex!.Message, Does.Contain("MaxDepth"));
            Assert.That(PickleSerializer.Loads(bytes, new UnpickleOptions { Security = PickleSecurity.Trusted }), Is.Not.Null);
        }, 64 * 1024 * 1024);
        deep.Start();
        deep.Join();
    }

    [Test]
    public void Security_AllowGlobal_RejectsOthers()
    {
        var bytes = PickleSerializer.Dumps(new PyReduce(new PyGlobal("os", "system"), PyTuple.Create("echo hi")));
        var options = new UnpickleOptions { Security = new PickleSecurity { AllowGlobal = (m, n) => m == "builtins" } };
        var ex = Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(bytes, options));
        Assert.That(ex!.Message, Does.Contain("'os.system' is forbidden"));
    }

    [Test]
    public void Security_IntegerDigits_Limited()
    {
        var text = "I" + new string('9', 5000) + "\n.";
        Assert.Throws<UnpicklingException>(() => PickleSerializer.Loads(System.Text.Encoding.ASCII.GetBytes(text)));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
