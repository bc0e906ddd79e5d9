using Multiprocess.Pickle.Tests.Support;

namespace Multiprocess.Pickle.Tests;

/// <summary>Re-pickling what CPython's C pickler wrote gives the same bytes (protocols 2–5).</summary>
public class ByteIdentityTests
{
    public static IEnumerable<string> Cases => Vectors.CaseNames;

    [TestCaseSource(nameof(Cases))]
    public void Dumps_GoldenVectorValue_SameBytesAsCPython(string name)
    {
        var failures = new List<string>();
        foreach (var v in Vectors.Load(name).Variants.Where(v => v.Protocol >= 2))
        {
            var value = PickleSerializer.Loads(v.Pickle);
            var bytes = PickleSerializer.Dumps(value, new PickleOptions { Protocol = v.Protocol });
            if (!bytes.AsSpan().SequenceEqual(v.Pickle))
            {
                var at = bytes.AsSpan().CommonPrefixLength(v.Pickle);
                failures.Add($"{v}: differs at offset {at} (ours {bytes.Length} bytes, CPython {v.Pickle.Length}): ours ...{Hex(bytes, at)} CPython ...{Hex(v.Pickle, at)}");
            }
        }

        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(8)));
    }

    private static string Hex(byte[] b, int at) => Convert.ToHexString(b.AsSpan(Math.Max(0, at - 4), Math.Min(24, b.Length - Math.Max(0, at - 4))));
}
