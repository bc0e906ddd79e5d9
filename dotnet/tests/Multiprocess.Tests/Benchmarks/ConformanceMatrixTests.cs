using Multiprocess.Benchmarks.Report;

namespace Multiprocess.Tests.Benchmarks;

/// <summary>
/// The report's conformance matrix (docs/report.md): one column per env that wrote JUnit XML, also an env whose XML
/// holds no test case (pytest's XML of a run that collected nothing), which must show as a column, not vanish.
/// </summary>
[TestFixture]
public sealed class ConformanceMatrixTests
{
    [Test]
    public void Build_AnEnvThatRanNoTest_StillHasItsColumn_WithEmptyCells()
    {
        var cases = new[]
        {
            new TestCase("py312", "interop-tests/test_connection.py::test_send_bytes", Outcome.Passed, ""),
            new TestCase("py314", "interop-tests/test_connection.py::test_send_bytes", Outcome.Passed, ""),
        };

        var matrix = ConformanceMatrix.Build(cases, ["py312", "py314", "shim313"]);

        Assert.That(matrix.Columns.Select(c => c.Env), Is.EqualTo(new[] { "py312", "py314", "shim313" }));
        Assert.That(matrix.Rows, Is.Not.Empty);
        Assert.That(matrix.Rows.Select(row => matrix.CellAt(row, "shim313").Cases.Count), Is.All.EqualTo(0));
        Assert.That(matrix.Rows.Sum(row => matrix.CellAt(row, "py312").Cases.Count), Is.EqualTo(1));
    }

    [Test]
    public void Build_WithoutTheEnvList_HasTheColumnsOfTheCasesOnly()
    {
        var cases = new[] { new TestCase("py38", "interop-tests/test_connection.py::test_send_bytes", Outcome.Failed, "boom") };

        Assert.That(ConformanceMatrix.Build(cases).Columns.Select(c => c.Env), Is.EqualTo(new[] { "py38" }));
    }

    [Test]
    public void Envs_AreTheXmlFilesNames_InOrdinalOrder()
    {
        var folder = Directory.CreateTempSubdirectory("mp-junit-").FullName;
        try
        {
            foreach (var name in new[] { "shim312.xml", "py38.xml", "notes.txt", "dotnet-Multiprocess.Tests.xml" })
            {
                File.WriteAllText(Path.Combine(folder, name), "<testsuites/>");
            }

            Assert.That(TestResults.Envs(folder), Is.EqualTo(new[] { "dotnet-Multiprocess.Tests", "py38", "shim312" }));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
