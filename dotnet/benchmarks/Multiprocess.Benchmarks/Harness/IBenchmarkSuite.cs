namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// One capability's benchmark: runs the engine and its peers side by side and returns rows. Found by reflection,
/// so a new capability adds one file.
/// </summary>
public interface IBenchmarkSuite
{
    /// <summary>Gets the suite name, also the CSV file name (results/&lt;name&gt;.csv).</summary>
    string Name { get; }

    /// <summary>Runs every case. With <see cref="BenchContext.Smoke"/> set, each case runs once, briefly, to prove it works.</summary>
    IEnumerable<ResultRow> Run(BenchContext context);

    /// <summary>
    /// Gets the groups of cases the suite can run alone (<c>--cases GROUP</c>, <see cref="BenchContext.Cases"/>);
    /// empty: the suite runs whole only.
    /// </summary>
    IReadOnlyList<string> CaseGroups => [];

    /// <summary>
    /// Adds what the suite judges from a whole set of rows (goals met or not, what the machine allows) to their notes:
    /// called once on a run's rows, or with <c>--runs N</c> once on the medians across the runs (<see cref="RunMedians"/>),
    /// so that a verdict always reads the figures it stands next to. The ratios are filled already.
    /// </summary>
    /// <param name="rows">The rows to annotate.</param>
    /// <param name="context">The run.</param>
    void Annotate(IList<ResultRow> rows, BenchContext context)
    {
    }
}

/// <summary>What a suite needs to know about the run.</summary>
/// <param name="Smoke">Run each case briefly (CI) rather than for real numbers.</param>
/// <param name="Python">The CPython interpreter used as the peer (3.12 by default).</param>
/// <param name="PythonVersion">Its minor version, for labels ("3.12").</param>
/// <param name="Command">The command line of this run, recorded in every row.</param>
/// <param name="ScriptDirectory">Where the Python peer scripts are.</param>
/// <param name="Cases">The one group of cases to run (one of the suite's <see cref="IBenchmarkSuite.CaseGroups"/>), or null for all.</param>
/// <param name="Runs">
/// How many runs the rows <see cref="IBenchmarkSuite.Annotate"/> sees stand for (<c>--runs N</c>): above 1, their
/// figures and ratios are medians across the runs (<see cref="RunMedians"/>), and a verdict says so.
/// </param>
public sealed record BenchContext(bool Smoke, string Python, string PythonVersion, string Command, string ScriptDirectory, string? Cases = null, int Runs = 1)
{
    /// <summary>Picks the sample count: few in smoke mode.</summary>
    public int Samples(int full) => Smoke ? 2 : full;

    /// <summary>Picks the batch size: small in smoke mode.</summary>
    public long Ops(long full) => Smoke ? Math.Max(1, Math.Min(full, 10)) : full;
}
