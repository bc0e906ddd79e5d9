using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Report;

/// <summary>
/// The report page as a person sees it (docs/report.md): opened in headless Chromium, screenshotted, and checked that
/// the conformance matrix has a column and a cell in every row for every env whose JUnit XML the run wrote, and that
/// every chart decoded to an image of non-zero size. scripts/test.sh runs it last, on the report of the run
/// (<c>MULTIPROCESS_REPORT_DIR</c>, <c>MULTIPROCESS_JUNIT_DIR</c>); run alone, it makes a report of the last run's
/// results (.cache/test-logs/junit) in a temporary folder, removed afterwards.
/// </summary>
[TestFixture]
[Category("Report")]
public sealed class ReportPageTests
{
    private string? _temporaryReport;

    [TearDown]
    public void RemoveTemporaryReport()
    {
        if (_temporaryReport is not null && Directory.Exists(_temporaryReport))
        {
            Directory.Delete(_temporaryReport, recursive: true);
        }
    }

    [Test]
    public void MatrixAndEveryChartRenderInChromium()
    {
        var junit = Environment.GetEnvironmentVariable("MULTIPROCESS_JUNIT_DIR") ?? Path.Combine(EngineCommands.RepoRoot, ".cache", "test-logs", "junit");
        var report = Environment.GetEnvironmentVariable("MULTIPROCESS_REPORT_DIR");
        var envs = Directory.Exists(junit) ? Directory.GetFiles(junit, "*.xml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList() : [];
        if (report is null)
        {
            if (envs.Count == 0)
            {
                Assert.Ignore($"no JUnit XML in {junit}: run scripts/test.sh (or set MULTIPROCESS_REPORT_DIR and MULTIPROCESS_JUNIT_DIR)");
            }

            report = Path.Combine(Path.GetTempPath(), "mp-report-" + Guid.NewGuid().ToString("N")[..12]);
            _temporaryReport = report;
            MakeReport(junit, report);
        }

        Assert.That(envs, Is.Not.Empty, $"the run wrote no JUnit XML into {junit}");
        var index = Path.Combine(report, "index.html");
        Assert.That(File.Exists(index), Is.True, $"no report at {index}");
        var chartFiles = Directory.GetFiles(report, "ratios-*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.That(chartFiles, Is.Not.Empty, "the report wrote no chart");

        using var browser = HeadlessChromium.Open(new Uri(index).AbsoluteUri, 1400, 1000);
        var page = browser.Evaluate("""
            (async () => {
              if (document.readyState !== 'complete') await new Promise(r => addEventListener('load', r));
              await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
              const matrix = document.getElementById('matrix');
              const rows = [...document.querySelectorAll('#matrix tbody tr')];
              return {
                matrixHeight: matrix ? matrix.getBoundingClientRect().height : 0,
                envs: [...document.querySelectorAll('#matrix th[data-env]')].map(t => t.dataset.env),
                rows: rows.map(r => ({
                  name: r.querySelector('th').textContent,
                  envs: [...r.querySelectorAll('td[data-env]')].map(c => c.dataset.env),
                })),
                charts: [...document.querySelectorAll('img.chart')].map(i => ({
                  src: i.getAttribute('src'), width: i.naturalWidth, height: i.naturalHeight, shown: i.getBoundingClientRect().height,
                })),
              };
            })()
            """);

        var screenshot = browser.Screenshot();
        var shot = Path.Combine(report, "screenshot.png");
        File.WriteAllBytes(shot, screenshot);
        TestContext.Out.WriteLine($"screenshot: {shot} ({screenshot.Length} bytes)");
        Assert.That(screenshot.AsSpan(1, 3).ToArray(), Is.EqualTo("PNG"u8.ToArray()), "the screenshot is not a PNG");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(screenshot.AsSpan(16)), Is.GreaterThan(0), "the screenshot has no width");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(screenshot.AsSpan(20)), Is.GreaterThan(0), "the screenshot has no height");

        Assert.That(page.GetProperty("matrixHeight").GetDouble(), Is.GreaterThan(0), "the matrix did not render");
        Assert.That(Strings(page.GetProperty("envs")), Is.EquivalentTo(envs), "the matrix's columns are not the envs that ran");
        var rows = page.GetProperty("rows").EnumerateArray().ToList();
        Assert.That(rows, Is.Not.Empty, "the matrix has no row");
        foreach (var row in rows)
        {
            Assert.That(Strings(row.GetProperty("envs")), Is.EqualTo(Strings(page.GetProperty("envs"))), $"row '{row.GetProperty("name").GetString()}' lacks a cell for some env");
        }

        var charts = page.GetProperty("charts").EnumerateArray().ToList();
        Assert.That(charts.Select(c => c.GetProperty("src").GetString()).Order(StringComparer.Ordinal), Is.EqualTo(chartFiles), "the page does not show every chart");
        foreach (var chart in charts)
        {
            var src = chart.GetProperty("src").GetString();
            Assert.That(chart.GetProperty("width").GetInt32(), Is.GreaterThan(0), $"{src} did not decode");
            Assert.That(chart.GetProperty("height").GetInt32(), Is.GreaterThan(0), $"{src} did not decode");
            Assert.That(chart.GetProperty("shown").GetDouble(), Is.GreaterThan(0), $"{src} is not shown");
        }
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static void MakeReport(string junit, string outDir)
    {
        var bench = Path.Combine(EngineCommands.RepoRoot, "dotnet", "benchmarks", "Multiprocess.Benchmarks", "bin", EngineCommands.Configuration, "net10.0", "multiprocess-bench.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { bench, "report", "--out", outDir, "--junit", junit })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.That(p.WaitForExit(TimeSpan.FromMinutes(2)), Is.True, "multiprocess-bench report did not finish");
        Assert.That(p.ExitCode, Is.Zero, $"multiprocess-bench report failed:\n{stdout}\n{stderr.Result}");
    }
}
