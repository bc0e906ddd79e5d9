using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using ScottPlot;

namespace Multiprocess.Benchmarks.Report;

/// <summary>
/// One bar of a ratio chart: an implementation against its case's baseline, from the same run. A summary bar also has
/// the range of the ratios it summarizes (drawn as a whisker).
/// </summary>
public sealed record RatioBar(string Case, string Implementation, string Baseline, double MedianRatio, double MinRatio, double RangeLow = double.NaN, double RangeHigh = double.NaN);

/// <summary>
/// Charts of engine-vs-peer ratios with ScottPlot (PNG and SVG, headless): one horizontal bar per implementation and
/// case on a log scale centred on 1× (right: faster than the baseline), the bar the ratio of medians and the diamond
/// the ratio of minimums, so the bar-to-diamond gap shows the run's spread.
/// </summary>
public static class RatioCharts
{
    /// <summary>The bars of a suite: every row with a baseline row in its case (the baseline itself left out).</summary>
    public static List<RatioBar> Bars(IReadOnlyList<ResultRow> rows)
    {
        var bars = new List<RatioBar>();
        foreach (var row in rows)
        {
            var baseline = rows.FirstOrDefault(b => b.Case == row.Case && b.Implementation == row.Baseline);
            if (baseline is null || row.Implementation == row.Baseline || row.MedianNs <= 0 || row.MinNs <= 0)
            {
                continue;
            }

            bars.Add(new RatioBar(row.Case, row.Implementation, row.Baseline, baseline.MedianNs / row.MedianNs, baseline.MinNs / row.MinNs));
        }

        return bars;
    }

    /// <summary>
    /// One bar per suite for a summary: the geometric means of its bars' ratios of medians and of minimums, the whisker
    /// from its lowest to its highest ratio of medians.
    /// </summary>
    public static RatioBar Summarize(string suite, IReadOnlyList<RatioBar> bars) => new(
        $"{suite} ({bars.Count} cases)",
        "geometric mean",
        string.Join(", ", bars.Select(b => b.Baseline).Distinct()),
        GeometricMean(bars.Select(b => b.MedianRatio)),
        GeometricMean(bars.Select(b => b.MinRatio)),
        bars.Min(b => b.MedianRatio),
        bars.Max(b => b.MedianRatio));

    private static double GeometricMean(IEnumerable<double> values) => Math.Exp(values.Average(Math.Log));

    /// <summary>Draws the bars into PATH.png and PATH.svg; returns the PNG's pixel size.</summary>
    public static (int Width, int Height) Save(string title, IReadOnlyList<RatioBar> bars, string pathWithoutExtension)
    {
        const int width = 1200;
        var height = 140 + (26 * bars.Count);
        var plot = new Plot();
        var items = new List<Bar>();
        var labels = new string[bars.Count];
        var positions = new double[bars.Count];
        var minX = new double[bars.Count];
        var minY = new double[bars.Count];
        for (var i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            var y = bars.Count - 1 - i;               // the first bar on top
            var value = Math.Log10(b.MedianRatio);
            items.Add(new Bar
            {
                Position = y,
                Value = value,
                ValueBase = 0,
                Size = 0.7,
                FillColor = b.MedianRatio >= 1 ? Colors.SeaGreen : Colors.DarkOrange,
                Label = b.MedianRatio.ToString("0.00", CultureInfo.InvariantCulture) + "×",
            });
            positions[y] = y;
            labels[y] = Shorten(b.Case + " · " + b.Implementation, 70);
            minX[i] = Math.Log10(b.MinRatio);
            minY[i] = y;
        }

        for (var i = 0; i < bars.Count; i++)
        {
            if (!double.IsNaN(bars[i].RangeLow))
            {
                var whisker = plot.Add.Line(Math.Log10(bars[i].RangeLow), minY[i], Math.Log10(bars[i].RangeHigh), minY[i]);
                whisker.LineWidth = 1.5f;
                whisker.Color = Colors.Black;
            }
        }

        var barPlot = plot.Add.Bars(items);
        barPlot.Horizontal = true;
        var markers = plot.Add.Markers(minX, minY, MarkerShape.FilledDiamond, 8, Colors.Black);
        markers.LegendText = "ratio of minimums";
        plot.Add.VerticalLine(0, 1.5f, Colors.Gray, LinePattern.Dashed);
        plot.Axes.Left.SetTicks(positions, labels);

        var extremes = bars.SelectMany(b => new[] { b.MedianRatio, b.MinRatio, b.RangeLow, b.RangeHigh }).Where(r => !double.IsNaN(r)).Select(Math.Log10).ToList();
        var lo = Math.Floor(Math.Min(-0.3, extremes.Min()));
        var hi = Math.Ceiling(Math.Max(0.3, extremes.Max()));
        var ticks = LogTicks(lo, hi);
        plot.Axes.Bottom.SetTicks(ticks.Select(t => Math.Log10(t)).ToArray(), ticks.Select(t => t.ToString("0.###", CultureInfo.InvariantCulture) + "×").ToArray());
        plot.Axes.SetLimits(lo, hi + 0.15, -0.8, bars.Count - 0.2);
        plot.Title(title, 14);
        plot.XLabel("baseline time / this time (log scale; right of 1× = faster than the baseline)", 12);
        plot.ShowLegend(Alignment.LowerRight);

        plot.SavePng(pathWithoutExtension + ".png", width, height);
        plot.SaveSvg(pathWithoutExtension + ".svg", width, height);
        return (width, height);
    }

    private static List<double> LogTicks(double lo, double hi)
    {
        var ticks = new List<double>();
        for (var e = (int)lo; e <= (int)hi; e++)
        {
            foreach (var m in new[] { 1.0, 2.0, 5.0 })
            {
                var t = m * Math.Pow(10, e);
                if (Math.Log10(t) >= lo - 1e-9 && Math.Log10(t) <= hi + 1e-9)
                {
                    ticks.Add(t);
                }
            }
        }

        return ticks;
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
