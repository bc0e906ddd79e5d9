using Multiprocess.Fuzz;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Fuzz;

/// <summary>
/// Every fuzz target (dotnet/tests/Multiprocess.Fuzz, docs/fuzzing.md) on its seeds and on every input saved under
/// <c>dotnet/tests/Multiprocess.Fuzz/regressions/TARGET/</c>: the crashes and hangs scripts/fuzz.sh found, which must
/// now be handled cleanly (a value or a documented exception, nothing thrown that correct code never throws).
/// </summary>
public class FuzzRegressionTests
{
    private static readonly string s_regressions = Path.Combine(EngineCommands.RepoRoot, "dotnet", "tests", "Multiprocess.Fuzz", "regressions");

    public static IEnumerable<string> Targets() => FuzzTarget.All.Select(t => t.Name);

    [TestCaseSource(nameof(Targets))]
    public void SeedsAndSavedInputs_AreHandledCleanly(string name)
    {
        var target = FuzzTarget.Find(name);
        var inputs = target.Seeds(EngineCommands.RepoRoot).ToList();
        var saved = Path.Combine(s_regressions, name);
        if (Directory.Exists(saved))
        {
            inputs.AddRange(Directory.GetFiles(saved).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        }

        Assert.That(inputs, Is.Not.Empty);
        var failures = new List<string>();
        foreach (var (input, data) in inputs)
        {
            // A saved hang must end: each input runs on its own thread, which gets 30 s (a hang is a failure, not a
            // performance bound: the targets take milliseconds).
            Exception? error = null;
            var worker = new Thread(() =>
            {
                try
                {
                    target.Execute(data);
                }
                catch (Exception e)
                {
                    error = e;
                }
            }, 16 * 1024 * 1024) { IsBackground = true };
            worker.Start();
            if (!worker.Join(TimeSpan.FromSeconds(30)))
            {
                failures.Add($"{input}: did not return within 30 s");
                break;
            }

            if (error is not null)
            {
                failures.Add($"{input}: {error.GetType().Name}: {error.Message}");
            }
        }

        TestContext.Out.WriteLine($"{name}: {inputs.Count} inputs");
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }
}
