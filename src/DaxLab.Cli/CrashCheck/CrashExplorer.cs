using DaxLab.Device;
using DaxLab.Fs;

namespace DaxLab.Cli.CrashCheck;

/// <summary>How the explorer runs: the fs's ordering, MAP_SYNC, which crash points, and the state budget per point.</summary>
/// <param name="FencesOrder">False runs the file system with its fences removed (<see cref="PowerFailModel.FencesOrder"/>).</param>
/// <param name="MapSync">False maps the map-sync workload's file without MAP_SYNC (the promise must then break).</param>
/// <param name="FencesOnly">Crash points at fences only, not also at every flush.</param>
/// <param name="MaxExhaustive">A point with at most this many crash states is explored exhaustively.</param>
/// <param name="Samples">States drawn at a point with more, seeded by <paramref name="Seed"/> and the point.</param>
internal sealed record CrashCheckOptions(bool FencesOrder = true, bool MapSync = true, bool FencesOnly = false,
    int MaxExhaustive = CrashCheckOptions.DefaultMaxExhaustive, int Samples = CrashCheckOptions.DefaultSamples, int Seed = 1)
{
    /// <summary>2^10: ten uncertain lines with one new value each are explored whole.</summary>
    public const int DefaultMaxExhaustive = 1 << 10;

    /// <summary>States drawn where there are more than <see cref="DefaultMaxExhaustive"/>.</summary>
    public const int DefaultSamples = 256;
}

/// <summary>The first violation at a crash point: where it struck, which lines the image kept and lost, and what was wrong.</summary>
internal sealed record CrashViolation(int Point, string Where, string Step, string Kept, string Lost, string Message);

/// <summary>What exploring one workload found.</summary>
internal sealed record CrashWorkloadResult(string Workload, int CrashPoints, long States, int SampledPoints, long Violations, CrashViolation? First)
{
    public bool Exhaustive => SampledPoints == 0;
}

/// <summary>
/// The crash-state explorer (Chipmunk, Vinter, Yat): runs a workload on a device under the
/// power-fail model and, at every crash point (before each flush and each fence, and at the
/// end), builds the crash images the ordering rules allow (every subset of the uncertain lines
/// and their values, or a seeded sample when there are too many), mounts each read-only, runs
/// fsck's check and the workload's oracle on it.
/// </summary>
internal sealed class CrashExplorer
{
    /// <summary>The device every workload runs on: the smallest the format allows, so each crash point's comparison is cheap.</summary>
    public const long DeviceBytes = Layout.MinDeviceSize;

    /// <summary>Lines named in a violation's kept and lost lists before "...".</summary>
    private const int MaxLinesShown = 8;

    private readonly CrashWorkload workload;
    private readonly CrashCheckOptions options;
    private readonly CrashOracle oracle = new();
    private PowerFailModel model = null!;
    private Layout layout = null!;
    private PmemDevice scratch = null!;
    private CrashWorkloadRun run = null!;
    private int points;
    private long states;
    private int sampledPoints;
    private long violations;
    private CrashViolation? first;

    private CrashExplorer(CrashWorkload workload, CrashCheckOptions options)
    {
        this.workload = workload;
        this.options = options;
    }

    public static CrashWorkloadResult Explore(CrashWorkload workload, CrashCheckOptions options) =>
        new CrashExplorer(workload, options).Explore();

    private CrashWorkloadResult Explore()
    {
        using (scratch = PmemDevice.CreateAnonymous(DeviceBytes))
        using (var fs = DaxFileSystem.Format(PmemDevice.CreateAnonymous(DeviceBytes), workload.LogBytes))
        {
            layout = fs.Fs.Layout;
            model = fs.Fs.Device.EnablePowerFailModel(options.FencesOrder);
            run = new CrashWorkloadRun(fs, oracle, options.MapSync);
            model.CrashPoint = kind =>
            {
                if (kind == CrashPointKind.Fence || !options.FencesOnly)
                    ExplorePoint($"before {(kind == CrashPointKind.Fence ? "fence" : "flush")} {model.Fences}.{model.Flushes}");
            };
            workload.Body(run);
            ExplorePoint("after the last operation");
            // Unmount's own flushes are not part of the workload.
            model.CrashPoint = null;
        }
        return new CrashWorkloadResult(workload.Name, points, states, sampledPoints, violations, first);
    }

    /// <summary>One crash point: every allowed crash state (or a sample), each built, mounted and judged.</summary>
    private void ExplorePoint(string where)
    {
        points++;
        IReadOnlyList<CrashLine> lines = model.UncertainLines();
        model.CopyDurableTo(scratch);
        var choice = new int[lines.Count];
        long total = StateCount(lines);
        if (total <= options.MaxExhaustive)
        {
            for (long s = 0; s < total; s++)
            {
                Decode(s, lines, choice);
                CheckState(where, lines, choice);
            }
            return;
        }
        sampledPoints++;
        // Seeded by the seed and the point alone (HashCode is salted per process): a rerun draws the same states.
        var random = new Random(unchecked(options.Seed * 1_000_003 + points));
        for (int s = 0; s < options.Samples; s++)
        {
            for (int i = 0; i < lines.Count; i++)
                choice[i] = random.Next(lines[i].Versions.Count + 1);
            CheckState(where, lines, choice);
        }
    }

    /// <summary>The product of (1 + values) over the lines, saturating past the exhaustive limit.</summary>
    private long StateCount(IReadOnlyList<CrashLine> lines)
    {
        long total = 1;
        foreach (CrashLine line in lines)
        {
            total *= line.Versions.Count + 1;
            if (total > options.MaxExhaustive)
                return long.MaxValue;
        }
        return total;
    }

    /// <summary>State number <paramref name="s"/> in mixed radix: each line's digit is 0 (durable value) or 1 + the index of the value kept.</summary>
    private static void Decode(long s, IReadOnlyList<CrashLine> lines, int[] choice)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            int radix = lines[i].Versions.Count + 1;
            choice[i] = (int)(s % radix);
            s /= radix;
        }
    }

    /// <summary>Builds the image of one choice on the scratch device (durable image plus the kept lines) and judges it.</summary>
    private void CheckState(string where, IReadOnlyList<CrashLine> lines, int[] choice)
    {
        states++;
        for (int i = 0; i < lines.Count; i++)
        {
            if (choice[i] == 0)
                model.RestoreLine(scratch, lines[i].Offset);
            else
                lines[i].Versions[choice[i] - 1].CopyTo(scratch.Span(lines[i].Offset, PowerFailModel.LineBytes));
        }
        if (CrashImage.Violation(scratch, oracle) is not { } message)
            return;
        violations++;
        first ??= new CrashViolation(points, where, run.Step, Describe(lines, choice, kept: true), Describe(lines, choice, kept: false), message);
    }

    /// <summary>The kept (or lost) uncertain lines, named by region.</summary>
    private string Describe(IReadOnlyList<CrashLine> lines, int[] choice, bool kept)
    {
        var names = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            if ((choice[i] != 0) == kept)
                names.Add(RegionOf(lines[i].Offset) + (kept && lines[i].Versions.Count > 1 ? $" (value {choice[i]} of {lines[i].Versions.Count})" : ""));
        }
        if (names.Count == 0)
            return "none";
        return string.Join(", ", names.Take(MaxLinesShown)) + (names.Count > MaxLinesShown ? $", ... ({names.Count} lines)" : "");
    }

    /// <summary>A line's place in the layout of docs/fs.md: superblock, tail copy, checkpoint slot, log or data block.</summary>
    private string RegionOf(long offset)
    {
        if (offset < layout.TailOffset)
            return $"superblock+{offset}";
        if (offset < layout.TailOffset + FileSystem.BlockSize)
            return $"tail copy {(offset - layout.TailOffset) / PowerFailModel.LineBytes}";
        if (offset >= layout.Slot0Offset && offset < layout.Slot0Offset + layout.SlotBytes)
            return $"checkpoint slot 0+{offset - layout.Slot0Offset}";
        if (offset >= layout.Slot1Offset && offset < layout.Slot1Offset + layout.SlotBytes)
            return $"checkpoint slot 1+{offset - layout.Slot1Offset}";
        if (offset >= layout.LogOffset && offset < layout.LogOffset + layout.LogBytes)
            return $"log+{offset - layout.LogOffset}";
        return $"data block {offset / FileSystem.BlockSize}+{offset % FileSystem.BlockSize}";
    }
}
