using Multiprocess.Pickle.Tests.Support;

namespace Multiprocess.Pickle.Tests;

public class PickleDisassemblerTests
{
    public static IEnumerable<string> Cases => Vectors.CaseNames;

    [TestCaseSource(nameof(Cases))]
    public void Disassemble_GoldenVector_MatchesPickletools(string name)
    {
        var failures = new List<string>();
        foreach (var v in Vectors.Load(name).Variants.DistinctBy(v => v.Stem))
        {
            var ours = PickleDisassembler.Disassemble(v.Pickle);
            if (ours != v.Dis)
            {
                var a = ours.Split('\n');
                var b = v.Dis.Split('\n');
                var i = 0;
                while (i < Math.Min(a.Length, b.Length) && a[i] == b[i])
                {
                    i++;
                }

                failures.Add($"{v}: line {i + 1}\n  pickletools: {(i < b.Length ? b[i] : "<end>")}\n  ours:        {(i < a.Length ? a[i] : "<end>")}");
            }
        }

        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(5)));
    }

    [Test]
    public void Disassemble_UnknownOpcode_ThrowsWithOffset()
    {
        var ex = Assert.Throws<UnpicklingException>(() => PickleDisassembler.Disassemble([0x80, 0x04, 0xff]));
        Assert.That(ex!.Offset, Is.EqualTo(2));
    }
}
