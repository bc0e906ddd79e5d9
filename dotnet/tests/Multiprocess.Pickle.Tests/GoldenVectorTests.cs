using Multiprocess.Pickle.Tests.Support;

namespace Multiprocess.Pickle.Tests;

/// <summary>Every pickle CPython 3.8–3.13 made of the corpus at protocols 0–5 reads to the described value.</summary>
public class GoldenVectorTests
{
    public static IEnumerable<string> Cases => Vectors.CaseNames;

    [TestCaseSource(nameof(Cases))]
    public void Loads_GoldenVector_GivesDescribedValue(string name)
    {
        var vectorCase = Vectors.Load(name);
        Assert.That(vectorCase.Variants, Is.Not.Empty);
        var failures = new List<string>();
        foreach (var v in vectorCase.Variants)
        {
            object? value;
            try
            {
                value = PickleSerializer.Loads(v.Pickle);
            }
            catch (Exception e)
            {
                failures.Add($"{v}: {e.GetType().Name}: {e.Message}");
                continue;
            }

            failures.AddRange(ExpectedValue.Check(v.Value, value).Select(e => $"{v}: {e}"));
        }

        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(20)));
    }

    [TestCaseSource(nameof(Cases))]
    public void Repr_GoldenVector_MatchesCPython(string name)
    {
        var failures = new List<string>();
        foreach (var v in Vectors.Load(name).Variants)
        {
            if (v.Repr.Contains(" at 0x", StringComparison.Ordinal) || v.Repr.Contains("<built-in", StringComparison.Ordinal)
                || v.Repr.StartsWith('<') || v.Value.GetProperty("t").GetString() is "reduce" or "global")
            {
                continue; // objects without a value repr (addresses, functions, user classes)
            }

            var repr = PyRepr.Repr(PickleSerializer.Loads(v.Pickle));
            if (repr != v.Repr)
            {
                failures.Add($"{v}:\n  expected {Trim(v.Repr)}\n  got      {Trim(repr)}");
            }
        }

        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;
}
