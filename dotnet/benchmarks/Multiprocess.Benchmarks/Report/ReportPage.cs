using System.Globalization;
using System.Net;
using System.Text;

namespace Multiprocess.Benchmarks.Report;

/// <summary>A chart written next to the page, with what produced its numbers.</summary>
public sealed record ChartEntry(string Suite, string Png, string Svg, int Width, int Height, IReadOnlyList<string> Commands, IReadOnlyList<string> Machines, IReadOnlyList<string> Timestamps, string Source);

/// <summary>
/// The report as one self-contained HTML page (inline CSS, images next to it): the conformance matrix, whose cells
/// link to the failing tests and skip reasons listed below it, then one ratio chart per benchmark suite. Elements the
/// page test checks carry ids and data attributes: <c>#matrix</c>, <c>th[data-env]</c>, <c>td[data-env][data-row]</c>,
/// <c>img.chart</c>.
/// </summary>
public static class ReportPage
{
    /// <summary>Writes index.html into <paramref name="outDir"/>.</summary>
    public static string Write(string outDir, ConformanceMatrix matrix, IReadOnlyList<ChartEntry> charts, string junitSource, string generatedBy)
    {
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Multiprocess: conformance and speed</title>
            <style>
            body { font-family: sans-serif; margin: 1.5em; color: #222; }
            table.matrix { border-collapse: collapse; font-size: 12px; }
            .matrix th, .matrix td { border: 1px solid #ccc; padding: 2px 5px; text-align: center; white-space: nowrap; }
            .matrix th.row { text-align: left; font-weight: normal; }
            td.pass { background: #d7f5dd; } td.fail { background: #f8c9c4; font-weight: bold; } td.skip { background: #eee; color: #666; } td.none { color: #bbb; }
            td a { color: inherit; text-decoration: none; }
            .details li.failed { color: #a00; } .details li.skipped { color: #555; }
            .details code { font-size: 11px; }
            figure { margin: 1.5em 0; } figcaption { font-size: 12px; color: #444; }
            img.chart { max-width: 100%; border: 1px solid #ddd; }
            </style></head><body>
            <h1>Multiprocess: conformance and speed</h1>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<p>Generated {Encode(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))} by <code>{Encode(generatedBy)}</code> from the JUnit XML in <code>{Encode(junitSource)}</code> ({matrix.Columns.Count} envs).</p>\n");
        WriteMatrix(html, matrix);
        WriteCharts(html, charts);
        WriteDetails(html, matrix);
        html.Append("</body></html>\n");
        var path = Path.Combine(outDir, "index.html");
        File.WriteAllText(path, html.ToString());
        return path;
    }

    private static void WriteMatrix(StringBuilder html, ConformanceMatrix matrix)
    {
        html.Append("<h2 id=\"conformance\">Conformance matrix</h2>\n");
        html.Append("<p>Each cell: tests passed / failed / skipped of that capability in that env; a cell with failures or skips links to them.</p>\n");
        html.Append("<table class=\"matrix\" id=\"matrix\"><thead><tr><th rowspan=\"2\">capability</th>");
        foreach (var group in matrix.Columns.GroupBy(c => c.Group))
        {
            html.Append(CultureInfo.InvariantCulture, $"<th colspan=\"{group.Count()}\">{Encode(group.Key)}</th>");
        }

        html.Append("</tr><tr>");
        foreach (var column in matrix.Columns)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th data-env=\"{Encode(column.Env)}\" title=\"{Encode(column.Env)}\">{Encode(column.Label)}</th>");
        }

        html.Append("</tr></thead><tbody>\n");
        for (var r = 0; r < matrix.Rows.Count; r++)
        {
            var row = matrix.Rows[r];
            html.Append(CultureInfo.InvariantCulture, $"<tr><th class=\"row\">{Encode(row)}</th>");
            foreach (var column in matrix.Columns)
            {
                var cell = matrix.CellAt(row, column.Env);
                var attrs = $"data-env=\"{Encode(column.Env)}\" data-row=\"{Encode(row)}\"";
                if (cell.Cases.Count == 0)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<td class=\"none\" {attrs}>–</td>");
                    continue;
                }

                var css = cell.Failed > 0 ? "fail" : cell.Passed > 0 ? "pass" : "skip";
                var text = $"{cell.Passed}/{cell.Failed}/{cell.Skipped}";
                var content = cell.Failed + cell.Skipped > 0 ? $"<a href=\"#{Anchor(r, column.Env)}\">{text}</a>" : text;
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"{css}\" {attrs} title=\"passed/failed/skipped\">{content}</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody></table>\n");
    }

    private static void WriteCharts(StringBuilder html, IReadOnlyList<ChartEntry> charts)
    {
        html.Append("<h2 id=\"speed\">Speed: the engine against its peers</h2>\n");
        html.Append("<p>Per benchmark suite (<code>multiprocess-bench SUITE</code>, both sides measured in one run): bars are baseline median / median (right of 1× is faster than the baseline), diamonds the same ratio of the fastest samples.</p>\n");
        foreach (var c in charts)
        {
            html.Append(CultureInfo.InvariantCulture, $"<figure id=\"chart-{Encode(c.Suite)}\"><img class=\"chart\" src=\"{Encode(c.Png)}\" width=\"{c.Width}\" height=\"{c.Height}\" alt=\"{Encode(c.Suite)} ratios\">");
            html.Append(CultureInfo.InvariantCulture, $"<figcaption><b>{Encode(c.Suite)}</b> (<a href=\"{Encode(c.Svg)}\">SVG</a>, data: <code>{Encode(c.Source)}</code>). ");
            html.Append(CultureInfo.InvariantCulture, $"Command: <code>{Encode(string.Join("; ", c.Commands))}</code>. Machine: {Encode(string.Join("; ", c.Machines))}. Measured: {Encode(string.Join(", ", c.Timestamps))}.</figcaption></figure>\n");
        }
    }

    private static void WriteDetails(StringBuilder html, ConformanceMatrix matrix)
    {
        html.Append("<h2 id=\"details\">Failures and skips</h2>\n<div class=\"details\">\n");
        var any = false;
        for (var r = 0; r < matrix.Rows.Count; r++)
        {
            foreach (var column in matrix.Columns)
            {
                var cell = matrix.CellAt(matrix.Rows[r], column.Env);
                var notPassed = cell.Cases.Where(c => c.Outcome != Outcome.Passed).OrderBy(c => c.Outcome).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();
                if (notPassed.Count == 0)
                {
                    continue;
                }

                any = true;
                html.Append(CultureInfo.InvariantCulture, $"<h3 id=\"{Anchor(r, column.Env)}\">{Encode(matrix.Rows[r])} — {Encode(column.Env)}</h3><ul>\n");
                foreach (var c in notPassed)
                {
                    var kind = c.Outcome == Outcome.Failed ? "failed" : "skipped";
                    html.Append(CultureInfo.InvariantCulture, $"<li class=\"{kind}\">{kind}: <code>{Encode(c.Id)}</code>: {Encode(c.Message)}</li>\n");
                }

                html.Append("</ul>\n");
            }
        }

        if (!any)
        {
            html.Append("<p>None: every test that ran passed.</p>\n");
        }

        html.Append("</div>\n");
    }

    private static string Anchor(int row, string env) => $"cell-{row}-{env}";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
