using System.Globalization;

namespace DaxLab.Cli.Bench;

/// <summary>Where an interval lies against a goal's line: wholly on the wanted side, wholly on the other, or across it.</summary>
public enum Verdict
{
    Met,
    Missed,
    Unsettled,
    NotMeasured,
}

/// <summary>
/// A figure measured in several trials: the median, the range, and a distribution-free confidence
/// interval for the median from order statistics. The interval is [x(k), x(n+1-k)] of the sorted
/// trials for the largest k whose coverage, 1 - 2 P(Binomial(n, 1/2) &lt; k), is at least
/// <see cref="WantedConfidence"/>; it assumes only that trials are independent draws of one
/// distribution, not that the distribution is normal (timings are skewed by bursts of load).
/// With 5 trials no k reaches 95%, so the interval is the range, whose coverage 93.75% is what
/// <see cref="Confidence"/> records.
/// </summary>
public sealed record Estimate(double Median, double Min, double Max, double Low, double High, double Confidence, IReadOnlyList<double> Trials)
{
    /// <summary>The coverage the interval aims at: the usual 95%.</summary>
    public const double WantedConfidence = 0.95;

    /// <summary>The fewest trials a point may have: with 5 the range already covers the median 93.75% of the time.</summary>
    public const int MinTrials = 5;

    /// <summary>An interval wider than this share of its median marks the point noisy: its second digit means nothing.</summary>
    public const double NoisyShare = 0.20;

    /// <summary>The estimate of <paramref name="trials"/> (at least one; NaN trials, from a trial that finished no operation, make every field NaN).</summary>
    public static Estimate Of(IReadOnlyList<double> trials)
    {
        if (trials.Count == 0)
            throw new ArgumentException("an estimate needs at least one trial");
        var sorted = trials.Order().ToArray();
        int n = sorted.Length, k = OrderStatisticRank(n);
        return new Estimate(MedianOf(sorted), sorted[0], sorted[^1], sorted[k - 1], sorted[n - k], Coverage(n, k), trials.ToArray());
    }

    /// <summary>The median of already sorted values: the middle one, or the mean of the middle two.</summary>
    static double MedianOf(double[] sorted)
    {
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The largest rank k (at least 1) whose interval [x(k), x(n+1-k)] still covers the median with <see cref="WantedConfidence"/>.</summary>
    static int OrderStatisticRank(int n)
    {
        int k = 1;
        while (k + 1 <= (n + 1) / 2 && Coverage(n, k + 1) >= WantedConfidence)
            k++;
        return k;
    }

    /// <summary>P(x(k) ≤ median ≤ x(n+1-k)) for n independent trials: 1 - 2 P(Binomial(n, 1/2) ≤ k - 1).</summary>
    public static double Coverage(int n, int k)
    {
        double tail = 0, term = Math.Pow(0.5, n);
        for (int i = 0; i < k; i++)
        {
            tail += term;
            term = term * (n - i) / (i + 1);
        }
        return 1 - 2 * tail;
    }

    /// <summary>The interval's width over its median: how far apart two runs of this point may land by noise alone.</summary>
    public double RelativeWidth => (High - Low) / Median;

    /// <summary>True when the interval is wider than <see cref="NoisyShare"/> of the median.</summary>
    public bool Noisy => !(RelativeWidth <= NoisyShare);

    /// <summary>True when the two intervals share no value: the two medians differ beyond this noise.</summary>
    public bool DisjointFrom(Estimate other) => High < other.Low || other.High < Low;

    /// <summary>The estimate of f(trial) for each trial; f may be decreasing (a cost to a rate), the order statistics follow.</summary>
    public Estimate Map(Func<double, double> f) => Of(Trials.Select(f).ToArray());

    /// <summary>
    /// The estimate of the ratio of two figures measured in pairs (trial i of each side taken back
    /// to back), so a burst of load that slows a round slows both sides of its ratio.
    /// </summary>
    public static Estimate PairedRatio(Estimate numerator, Estimate denominator)
    {
        if (numerator.Trials.Count != denominator.Trials.Count)
            throw new ArgumentException($"paired figures need as many trials on each side ({numerator.Trials.Count} and {denominator.Trials.Count})");
        return Of(numerator.Trials.Zip(denominator.Trials, (a, b) => a / b).ToArray());
    }

    /// <summary>Met when the whole interval is at or below <paramref name="line"/>, MISSED when wholly above, else unsettled.</summary>
    public Verdict AtMost(double line) =>
        double.IsNaN(Median) ? Verdict.NotMeasured : High <= line ? Verdict.Met : Low > line ? Verdict.Missed : Verdict.Unsettled;

    /// <summary>Met when the whole interval is above <paramref name="line"/>, MISSED when wholly at or below, else unsettled.</summary>
    public Verdict Above(double line) =>
        double.IsNaN(Median) ? Verdict.NotMeasured : Low > line ? Verdict.Met : High <= line ? Verdict.Missed : Verdict.Unsettled;

    /// <summary>"median [low, high]" with <paramref name="format"/> for each number, for tables.</summary>
    public string Format(string format)
    {
        string Text(double value) => value.ToString(format, CultureInfo.InvariantCulture);
        return $"{Text(Median)} [{Text(Low)}, {Text(High)}]";
    }
}
