using System.Text.RegularExpressions;

namespace Multiprocess.Benchmarks.Report;

/// <summary>One column of the matrix: a tox env or a .NET test assembly, with the group it sits under.</summary>
public sealed record EnvColumn(string Env, string Group, string Label, int GroupOrder);

/// <summary>The tests of one capability in one env.</summary>
public sealed class Cell
{
    /// <summary>Gets the tests of the cell, as they ended.</summary>
    public List<TestCase> Cases { get; } = [];

    /// <summary>Gets how many passed.</summary>
    public int Passed => Cases.Count(c => c.Outcome == Outcome.Passed);

    /// <summary>Gets how many failed.</summary>
    public int Failed => Cases.Count(c => c.Outcome == Outcome.Failed);

    /// <summary>Gets how many were skipped.</summary>
    public int Skipped => Cases.Count(c => c.Outcome == Outcome.Skipped);
}

/// <summary>
/// Capabilities (rows) × envs (columns): CPython 3.8–3.14, multiprocess 0.70.12 (CPython 3.10–3.13) and 0.70.19
/// (CPython 3.14), the shim's envs and the .NET test assemblies. Every env that ran has a column; every row has a
/// cell in every column (empty when no test of that capability ran there).
/// </summary>
public sealed class ConformanceMatrix
{
    private readonly Dictionary<(string Row, string Env), Cell> _cells = [];

    private ConformanceMatrix(List<string> rows, List<EnvColumn> columns)
    {
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Gets the capabilities, in the order of <see cref="Capabilities"/>.</summary>
    public IReadOnlyList<string> Rows { get; }

    /// <summary>Gets the envs, grouped by peer.</summary>
    public IReadOnlyList<EnvColumn> Columns { get; }

    /// <summary>Builds the matrix of a run's test cases.</summary>
    /// <param name="cases">Every test case of the run.</param>
    /// <param name="envs">Every env that wrote results, also one that ran no test (it gets a column of empty cells:
    /// an env that collected nothing is worth seeing, not hiding).</param>
    public static ConformanceMatrix Build(IReadOnlyCollection<TestCase> cases, IEnumerable<string>? envs = null)
    {
        var columns = cases.Select(c => c.Env).Concat(envs ?? []).Distinct().Select(Column)
            .OrderBy(c => c.GroupOrder).ThenBy(c => SortKey(c.Env), StringComparer.Ordinal).ToList();
        var placed = cases.SelectMany(c => Capabilities.RowsOf(c.Id).Select(row => (Row: row, Case: c))).ToList();
        var rows = placed.Select(p => p.Row).Distinct().OrderBy(Capabilities.Order).ThenBy(r => r, StringComparer.Ordinal).ToList();
        var matrix = new ConformanceMatrix(rows, columns);
        foreach (var (row, c) in placed)
        {
            matrix.CellAt(row, c.Env).Cases.Add(c);
        }

        return matrix;
    }

    /// <summary>Returns the cell of a row and env (empty when nothing of that row ran there).</summary>
    public Cell CellAt(string row, string env)
    {
        if (!_cells.TryGetValue((row, env), out var cell))
        {
            cell = new Cell();
            _cells[(row, env)] = cell;
        }

        return cell;
    }

    /// <summary>Where an env's column goes: tox envs by peer (py3X, mp3X, shim3X), .NET assemblies (dotnet-NAME).</summary>
    public static EnvColumn Column(string env)
    {
        var m = Regex.Match(env, @"^(py|mp|shim)3(\d+)(.*)$", RegexOptions.CultureInvariant);
        if (m.Success)
        {
            var version = "3." + m.Groups[2].Value + m.Groups[3].Value;
            return m.Groups[1].Value switch
            {
                "py" => new EnvColumn(env, "CPython", version, 0),
                "mp" when m.Groups[2].Value == "14" => new EnvColumn(env, "multiprocess 0.70.19", version, 2),
                "mp" => new EnvColumn(env, "multiprocess 0.70.12", version, 1),
                _ => new EnvColumn(env, "the shim (wheel)", version, 3),
            };
        }

        return env.StartsWith("dotnet-", StringComparison.Ordinal)
            ? new EnvColumn(env, ".NET (NUnit)", env["dotnet-".Length..].Replace("Multiprocess.", "", StringComparison.Ordinal), 4)
            : new EnvColumn(env, "other", env, 5);
    }

    // py38 before py310: the minor version as two digits.
    private static string SortKey(string env) => Regex.Replace(env, @"3(\d+)", m => "3" + m.Groups[1].Value.PadLeft(2, '0'));
}
