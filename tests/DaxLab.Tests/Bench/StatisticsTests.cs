using DaxLab.Cli.Bench;

namespace DaxLab.Tests.Bench;

/// <summary>
/// The statistics behind every figure of `daxlab bench`: known samples give the known median and
/// interval, a goal is met or MISSED only when its interval lies on one side of the line, and a
/// comparison calls a change beyond the noise only when the intervals are disjoint.
/// </summary>
public class StatisticsTests
{
    [Fact]
    public void FiveTrialsGiveTheirMiddleValueAndTheRangeAtNinetyThreePointSevenFivePercent()
    {
        var e = Estimate.Of([5.0, 1.0, 4.0, 2.0, 3.0]);
        Assert.Equal(3.0, e.Median);
        Assert.Equal((1.0, 5.0), (e.Min, e.Max));
        Assert.Equal((1.0, 5.0), (e.Low, e.High));
        Assert.Equal(0.9375, e.Confidence);
        Assert.Equal([5.0, 1.0, 4.0, 2.0, 3.0], e.Trials);
    }

    [Fact]
    public void NineTrialsDropOneFromEachEndForNinetyFivePercent()
    {
        // 1 - 2 P(Binomial(9, 1/2) <= 1) = 1 - 2 * 10/512; dropping two from each end would give 82%.
        var e = Estimate.Of([9.0, 8, 7, 6, 5, 4, 3, 2, 1]);
        Assert.Equal(5.0, e.Median);
        Assert.Equal((2.0, 8.0), (e.Low, e.High));
        Assert.Equal(1 - 20.0 / 512, e.Confidence, 12);
        Assert.Equal((1.0, 9.0), (e.Min, e.Max));
    }

    [Fact]
    public void AnEvenCountTakesTheMeanOfTheMiddleTwo()
    {
        var e = Estimate.Of([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        Assert.Equal(5.5, e.Median);
        Assert.Equal((2.0, 9.0), (e.Low, e.High));
    }

    [Theory]
    [InlineData(5, 1, 0.9375)]
    [InlineData(6, 1, 0.96875)]
    [InlineData(6, 2, 0.78125)]
    [InlineData(20, 6, 0.9586105346679688)]
    public void CoverageIsTheBinomialTail(int n, int k, double expected) =>
        Assert.Equal(expected, Estimate.Coverage(n, k), 12);

    [Fact]
    public void PairedRatiosAreTakenTrialByTrialSoACommonDriftCancels()
    {
        // The machine slows down round by round; each round's ratio stays 2.
        var cost = Estimate.Of([2.0, 4, 6, 8, 10]);
        var floor = Estimate.Of([1.0, 2, 3, 4, 5]);
        var ratio = Estimate.PairedRatio(cost, floor);
        Assert.Equal(2.0, ratio.Median);
        Assert.Equal((2.0, 2.0), (ratio.Low, ratio.High));
        Assert.False(ratio.Noisy);
    }

    [Fact]
    public void PairingNeedsAsManyTrialsOnEachSide() =>
        Assert.Throws<ArgumentException>(() => Estimate.PairedRatio(Estimate.Of([1.0, 2, 3, 4, 5]), Estimate.Of([1.0, 2, 3, 4, 5, 6])));

    [Fact]
    public void AnIntervalWiderThanTheStatedShareOfItsMedianIsNoisy()
    {
        Assert.False(Estimate.Of([100.0, 101, 102, 103, 119]).Noisy);
        Assert.True(Estimate.Of([100.0, 101, 102, 103, 125]).Noisy);
        Assert.True(Estimate.Of([double.NaN, 1, 2, 3, 4]).Noisy);
    }

    [Theory]
    [InlineData(new[] { 1.40, 1.42, 1.45, 1.47, 1.49 }, Verdict.Met)]
    [InlineData(new[] { 1.51, 1.52, 1.55, 1.60, 1.70 }, Verdict.Missed)]
    [InlineData(new[] { 1.40, 1.45, 1.48, 1.55, 1.60 }, Verdict.Unsettled)]
    [InlineData(new[] { 1.52, 1.53, 1.54, 1.55, 1.45 }, Verdict.Unsettled)]
    public void AGoalIsSettledOnlyWhenTheWholeIntervalLiesOnOneSide(double[] ratios, Verdict expected)
    {
        Assert.Equal(expected, Estimate.Of(ratios).AtMost(1.5));
        var flipped = expected switch { Verdict.Met => Verdict.Missed, Verdict.Missed => Verdict.Met, _ => expected };
        Assert.Equal(flipped, Estimate.Of(ratios).Above(1.5));
    }

    [Fact]
    public void TheGoalTableSaysUnsettledForARatioWhoseIntervalStraddlesTheLine()
    {
        var result = Result(
            SingleRow("v4.12", "pwrite 4 KiB", ratios: [1.3, 1.4, 1.45, 1.6, 1.7]),
            SingleRow("v4.12", "pread 4 KiB", ratios: [1.1, 1.2, 1.2, 1.3, 1.3]),
            SingleRow("v4.12", "mread 4 KiB (mapped)", ratios: [1.3, 1.3, 1.4, 1.4, 1.5]));
        var verdicts = Goals.Judge(result).ToDictionary(j => j.Goal.Split(" within")[0], j => j.Verdict);
        Assert.Equal(Verdict.Unsettled, verdicts["pwrite 4 KiB"]);
        Assert.Equal(Verdict.Met, verdicts["pread 4 KiB"]);
        Assert.Equal(Verdict.Missed, verdicts["mread 4 KiB (mapped)"]);
        var printed = new StringWriter();
        Goals.Print(result, printed);
        Assert.Contains("unsettled pwrite 4 KiB", printed.ToString());
        Assert.Contains("MISSED    mread 4 KiB", printed.ToString());
    }

    [Fact]
    public void CompareFlagsAShiftBeyondTheNoiseAndNotOneWithinIt()
    {
        var before = Result(
            SingleRow("v4.12", "pwrite 4 KiB", ratios: [1.40, 1.42, 1.45, 1.47, 1.50]),
            SingleRow("v4.12", "pread 4 KiB", ratios: [1.20, 1.22, 1.25, 1.27, 1.30]),
            ThroughputRow("v4.12", 2, ns: [500, 510, 520, 530, 540]),
            SingleRow("range-lock", "pread 4 KiB", ratios: [1.0, 1.0, 1.0, 1.0, 1.0]));
        var after = Result(
            SingleRow("v4.12", "pwrite 4 KiB", ratios: [1.10, 1.12, 1.15, 1.17, 1.20]),
            SingleRow("v4.12", "pread 4 KiB", ratios: [1.15, 1.18, 1.21, 1.24, 1.28]),
            ThroughputRow("v4.12", 2, ns: [600, 610, 620, 630, 640]));
        var changes = BenchCompare.Changes(before, after).ToDictionary(c => (c.Target, c.Operation));
        var pwrite = changes[("v4.12", "pwrite 4 KiB")];
        Assert.True(pwrite.BeyondNoise);
        Assert.Equal("faster", pwrite.Verdict);
        Assert.Equal(1.15 / 1.45 - 1, pwrite.Change, 12);
        Assert.Equal("x memcpy", pwrite.Figure);
        Assert.False(changes[("v4.12", "pread 4 KiB")].BeyondNoise);
        Assert.Equal("within noise", changes[("v4.12", "pread 4 KiB")].Verdict);
        Assert.Equal("slower", changes[("v4.12", "pwrite 4 KiB x2")].Verdict);
        Assert.Equal("ns/op", changes[("v4.12", "pwrite 4 KiB x2")].Figure);
        Assert.Equal("only before", changes[("range-lock", "pread 4 KiB")].Verdict);
    }

    [Fact]
    public void TheSeamOverheadIsEstimatedRoundByRound()
    {
        var with = new Dictionary<string, List<double>> { ["a"] = [102, 204, 102, 102, 102], ["b"] = [51, 51, 102, 51, 51] };
        var without = new Dictionary<string, List<double>> { ["a"] = [100, 200, 100, 100, 100], ["b"] = [50, 50, 100, 50, 50] };
        var seam = SeamComparison.Overheads("v4.12", with, without)!;
        Assert.Equal(0.02, seam.MeanOverhead.Median, 12);
        Assert.Equal((0.02, 0.02), (Math.Round(seam.MeanOverhead.Low, 12), Math.Round(seam.MeanOverhead.High, 12)));
        Assert.Equal(Verdict.Met, seam.MeanOverhead.AtMost(0.0200001));
        Assert.Equal(0.02, seam.Rows.Single(r => r.Operation == "a").Overhead.Median, 12);
    }

    /// <summary>A single-thread row whose cost trials are its ratios over a floor of 100 ns in every trial.</summary>
    internal static BenchRun SingleRow(string target, string operation, double[] ratios)
    {
        var floor = Estimate.Of(ratios.Select(_ => 100.0).ToArray());
        var cost = Estimate.Of(ratios.Select(r => r * 100).ToArray());
        return new BenchRun(Workload.SingleThreadName, target, operation, 1, 0.01, 1000, cost.Map(ns => 1e9 / ns), cost,
            CostTable.Memcpy4K, floor, Estimate.PairedRatio(cost, floor));
    }

    /// <summary>A disjoint-writers point; its operation is renamed with the thread count so tests can key on it.</summary>
    static BenchRun ThroughputRow(string target, int threads, double[] ns)
    {
        var cost = Estimate.Of(ns);
        return new BenchRun("disjoint-writers", target, $"pwrite 4 KiB x{threads}", threads, 0.05, 100_000, cost.Map(v => threads * 1e9 / v), cost);
    }

    internal static BenchResult Result(params BenchRun[] runs) =>
        new(BenchResult.CurrentSchemaVersion, new BenchMachine("test", "cpu", 2, "os", ".NET", "1.0.0+abc", "abc", "Release", "compiled in",
            "0.1", "0.1", 0.05, 5, "2026-01-01T00:00:00Z", "daxlab bench"), runs);
}
