using Multiprocess.Pickle.Tests.Support;

namespace Multiprocess.Pickle.Tests;

/// <summary>
/// Hostile input: 100,000+ mutated and truncated pickles (seeded from the golden vectors and the C# corpus) must end
/// in a value or in <see cref="UnpicklingException"/>/<see cref="EndOfStreamException"/>: no other exception, no
/// hang, and no allocation out of proportion to the input.
/// </summary>
public class FuzzTests
{
    private const int Iterations = 120_000;

    [Test]
    [CancelAfter(60_000)]
    public void Loads_MutatedAndTruncatedPickles_FailCleanly(CancellationToken token)
    {
        var seeds = Vectors.CaseNames.SelectMany(n => Vectors.Load(n).Variants).Select(v => v.Pickle)
            .Concat(Corpus.Build().Select(c => PickleSerializer.Dumps(c.Value)))
            .Where(p => p.Length <= 4096)
            .DistinctBy(Convert.ToBase64String)
            .ToArray();
        Assert.That(seeds, Has.Length.GreaterThan(300));

        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        var worker = new Thread(() => Run(seeds, failures, outcomes, token), 16 * 1024 * 1024) { IsBackground = true };
        worker.Start();
        Assert.That(worker.Join(TimeSpan.FromSeconds(55)), Is.True, "the fuzz loop hung (or ran past 55 s)");
        TestContext.Out.WriteLine(string.Join(", ", outcomes.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }

    private static void Run(byte[][] seeds, List<string> failures, Dictionary<string, int> outcomes, CancellationToken token)
    {
        var random = new Random(20261125);
        for (var i = 0; i < Iterations && !token.IsCancellationRequested && failures.Count < 20; i++)
        {
            var input = Mutate(seeds[random.Next(seeds.Length)], random);
            var before = GC.GetAllocatedBytesForCurrentThread();
            string outcome;
            object? value = null;
            try
            {
                value = PickleSerializer.Loads(input);
                outcome = "value";
            }
            catch (UnpicklingException)
            {
                outcome = nameof(UnpicklingException);
            }
            catch (EndOfStreamException)
            {
                outcome = nameof(EndOfStreamException);
            }
            catch (Exception e)
            {
                outcome = e.GetType().Name;
                failures.Add($"iteration {i}: {e.GetType().Name}: {e.Message} for {Convert.ToHexString(input)}");
            }

            // Each input byte can create at most one small object (a dict, a list, a boxed number), so allocation
            // is bounded by a constant times the input length.
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > (input.Length * 2048L) + (1 << 20))
            {
                failures.Add($"iteration {i}: {allocated:N0} bytes allocated for a {input.Length}-byte pickle: {Convert.ToHexString(input)}");
            }

            if (value is not null)
            {
                // Whatever was accepted must print and pickle again without crashing.
                try
                {
                    _ = PyRepr.Repr(value);
                    _ = PickleSerializer.Dumps(value);
                }
                catch (Exception e) when (e is PicklingException or InsufficientExecutionStackException)
                {
                }
                catch (Exception e)
                {
                    failures.Add($"iteration {i}: repr/dumps of the result threw {e.GetType().Name}: {e.Message} for {Convert.ToHexString(input)}");
                }
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        var mutations = 1 + random.Next(3);
        for (var m = 0; m < mutations && data.Count > 0; m++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0: // truncate
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 1: // flip a bit
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2: // random byte
                    data[at] = (byte)random.Next(256);
                    break;
                case 3: // an opcode byte where an argument was
                    data[at] = OpcodeBytes[random.Next(OpcodeBytes.Length)];
                    break;
                case 4: // huge length / index field
                    for (var k = 0; k < 4 && at + k < data.Count; k++)
                    {
                        data[at + k] = 0xFF;
                    }

                    break;
                case 5: // delete a range
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(8)));
                    break;
                case 6: // insert random bytes
                    data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(6)).Select(_ => (byte)random.Next(256)));
                    break;
                default: // duplicate a chunk (repeats memo keys, marks, frames)
                    var len = Math.Min(data.Count - at, 1 + random.Next(16));
                    data.InsertRange(at, data.GetRange(at, len));
                    break;
            }
        }

        return data.ToArray();
    }

    private static readonly byte[] OpcodeBytes = typeof(Opcodes).GetFields()
        .Where(f => f.IsLiteral && f.FieldType == typeof(byte)).Select(f => (byte)f.GetRawConstantValue()!).ToArray();

    [TestCase("80049510000000000000", TestName = "Loads_FrameLongerThanInput_ThrowsEndOfStream")]
    [TestCase("8004", TestName = "Loads_NoStop_ThrowsEndOfStream")]
    [TestCase("8e00000000ffffffff", TestName = "Loads_Binbytes8Of2Pow64_ThrowsEndOfStream")]
    [TestCase("58ffffffff", TestName = "Loads_BinunicodeOf4GB_ThrowsEndOfStream")]
    [TestCase("8bffffff7f", TestName = "Loads_Long4Of2GB_ThrowsEndOfStream")]
    public void Loads_TinyPickleClaimingHugeLength_ThrowsWithoutAllocating(string hex)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<EndOfStreamException>(() => PickleSerializer.Loads(Convert.FromHexString(hex)));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 * 1024));
    }

    [Test]
    public void Loads_LongBinputFarIndex_UsesSparseMemo()
    {
        // LONG_BINPUT 0xFFFFFFF0 then LONG_BINGET of it: must not allocate an array of 4 billion slots.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var value = PickleSerializer.Loads(Convert.FromHexString("80044e72f0ffffff306af0ffffff2e"));
        Assert.Multiple(() =>
        {
            Assert.That(value, Is.Null);
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 * 1024));
        });
    }
}
