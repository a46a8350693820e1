using ScottPlot;

namespace DaxLab.Cli.Bench;

/// <summary>
/// The SVG plots: throughput against threads per workload (one line per design, the host
/// in black), and the single-thread cost of each operation as a multiple of its memcpy floor.
/// Every point carries an error bar from its interval's low to its high end, so a reader sees
/// which differences the noise could have made.
/// </summary>
public static class BenchPlots
{
    const int Width = 800, Height = 500;

    /// <summary>Writes one SVG per workload plus single.svg; returns the paths.</summary>
    public static IReadOnlyList<string> Write(BenchResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var group in result.Runs.Where(r => r.Workload != Workload.SingleThreadName).GroupBy(r => r.Workload))
        {
            string path = Path.Combine(directory, group.Key + ".svg");
            Throughput(group.Key, group.ToList(), result.Machine).SaveSvg(path, Width, Height);
            written.Add(path);
        }
        var single = result.Runs.Where(r => r.Workload == Workload.SingleThreadName).ToList();
        if (single.Count > 0)
        {
            string path = Path.Combine(directory, "single.svg");
            CostRatios(single, result.Machine).SaveSvg(path, Width + 200, Height);
            written.Add(path);
        }
        return written;
    }

    static Plot Throughput(string workload, List<BenchRun> runs, BenchMachine machine)
    {
        var plot = new Plot();
        var threads = runs.Select(r => r.Threads).Distinct().Order().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        int colour = 0;
        foreach (var target in runs.GroupBy(r => r.Target))
        {
            var points = target.OrderBy(r => r.Threads).ToList();
            double[] xs = points.Select(r => Math.Log2(r.Threads)).ToArray();
            var rates = points.Select(r => r.OpsPerSecond.Map(v => v / 1e6)).ToList();
            double[] ys = rates.Select(e => e.Median).ToArray();
            var line = plot.Add.Scatter(xs, ys, palette.GetColor(colour++));
            line.LegendText = target.Key;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            // Skia's SVG canvas cannot draw dash patterns (it says so on stderr), so the host gets a square marker instead.
            if (target.Key == BenchTarget.HostName)
            {
                line.MarkerShape = MarkerShape.FilledSquare;
                line.Color = Colors.Black;
            }
            AddErrorBars(plot, xs, rates, line.Color);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            threads.Select(t => Math.Log2(t)).ToArray(), threads.Select(t => t.ToString()).ToArray());
        plot.Title($"{workload}: {runs[0].Operation}");
        plot.XLabel($"threads ({machine.Cores} cores; load {machine.LoadAverageBefore})");
        plot.YLabel("million operations per second");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Grouped bars: per operation, one bar per target, the height its cost over the same-size memcpy.</summary>
    static Plot CostRatios(List<BenchRun> single, BenchMachine machine)
    {
        var plot = new Plot();
        var operations = single.Select(r => r.Operation).Distinct().ToList();
        var targets = single.Select(r => r.Target).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        double width = 0.8 / targets.Count;
        var bars = new List<Bar>();
        var positions = new List<double>();
        var ratios = new List<Estimate>();
        for (int t = 0; t < targets.Count; t++)
        {
            var colour = palette.GetColor(t);
            foreach (var run in single.Where(r => r.Target == targets[t] && r.RatioToFloor is not null))
            {
                int o = operations.IndexOf(run.Operation);
                positions.Add(o - 0.4 + width * (t + 0.5));
                ratios.Add(run.RatioToFloor!);
                bars.Add(new Bar { Position = positions[^1], Value = ratios[^1].Median, Size = width, FillColor = colour, LineWidth = 0 });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = targets[t], FillColor = colour });
        }
        plot.Add.Bars(bars);
        AddErrorBars(plot, positions.ToArray(), ratios, Colors.Black);
        var floor = plot.Add.HorizontalLine(1.0, 2, Colors.Black, LinePattern.Solid);
        floor.LegendText = "memcpy floor (same size)";
        var goal = plot.Add.HorizontalLine(Goals.IoLimit, 1, Colors.Gray, LinePattern.Solid);
        goal.LegendText = $"{Goals.IoLimit}x goal (4 KiB I/O)";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, operations.Count).Select(i => (double)i).ToArray(), operations.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 20;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperLeft;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Title($"single thread: cost per operation / memcpy of the same size ({machine.Cores} cores; load {machine.LoadAverageBefore})");
        plot.YLabel("x memcpy");
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Whiskers from each estimate's interval low to its high end, around its median at <paramref name="xs"/>.</summary>
    static void AddErrorBars(Plot plot, double[] xs, IReadOnlyList<Estimate> estimates, Color colour)
    {
        var bars = plot.Add.ErrorBar(xs, estimates.Select(e => e.Median).ToArray(), estimates.Select(_ => 0.0).ToArray());
        bars.YErrorNegative = estimates.Select(e => e.Median - e.Low).ToArray();
        bars.YErrorPositive = estimates.Select(e => e.High - e.Median).ToArray();
        bars.Color = colour;
    }
}
