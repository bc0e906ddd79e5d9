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
}

/// <summary>What a suite needs to know about the run.</summary>
/// <param name="Smoke">Run each case briefly (CI) rather than for real numbers.</param>
/// <param name="Python">The CPython interpreter used as the peer (3.12 by default).</param>
/// <param name="PythonVersion">Its minor version, for labels ("3.12").</param>
/// <param name="Command">The command line of this run, recorded in every row.</param>
/// <param name="ScriptDirectory">Where the Python peer scripts are.</param>
public sealed record BenchContext(bool Smoke, string Python, string PythonVersion, string Command, string ScriptDirectory)
{
    /// <summary>
    /// Gets the cases to run (comma-separated, as the suite names them; <c>--cases</c>), or null for all. Suites that
    /// honour it say so; a subset run replaces only its own rows in the CSV (<see cref="ResultsWriter.Merge"/>).
    /// </summary>
    public string? Cases { get; init; }

    /// <summary>Gets the client counts to run (comma-separated; <c>--clients</c>), or null for the suite's own.</summary>
    public string? Clients { get; init; }

    /// <summary>Gets whether this run covers only part of the suite (<see cref="Cases"/> or <see cref="Clients"/> given).</summary>
    public bool IsSubset => Cases is not null || Clients is not null;

    /// <summary>Picks the sample count: few in smoke mode.</summary>
    public int Samples(int full) => Smoke ? 2 : full;

    /// <summary>Picks the batch size: small in smoke mode.</summary>
    public long Ops(long full) => Smoke ? Math.Max(1, Math.Min(full, 10)) : full;
}
