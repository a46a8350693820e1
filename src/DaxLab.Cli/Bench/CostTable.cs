using System.Diagnostics;
using System.Runtime.InteropServices;
using DaxLab.Base;

namespace DaxLab.Cli.Bench;

/// <summary>
/// The single-thread cost table: the basic operations of every target (the engine under each
/// design, and the host kernel on tmpfs), each next to a plain memcpy of the same size timed back
/// to back with it, so the ratios hold on any machine; the targets take their trials in rounds.
/// </summary>
public static unsafe class CostTable
{
    private const long MiB = 1 << 20;
    private const int Page = Geometry.PageSize;

    /// <summary>The working file: large enough to leave the CPU caches, small enough for a quick run.</summary>
    private const long FileSize = 64 * MiB;

    /// <summary>Operations per 4 KiB trial at scale 1; a 1 MiB trial does 1/64 as many.</summary>
    private const int OpsPerTrial = 200_000;

    public const string Memcpy4K = "memcpy 4 KiB";
    public const string Memcpy1M = "memcpy 1 MiB";

    /// <summary>One figure of one target: its cost and the memcpy floor of the same size, trial i of each timed back to back.</summary>
    public sealed record Row(string Target, string Operation, Estimate Cost, string Floor, Estimate FloorCost, int OpsPerTrial);

    /// <summary>
    /// One operation of the table: a timed trial on a target's file (ns per operation), and the
    /// memcpy it is set against.
    /// </summary>
    private sealed record Measurement(string Operation, Func<IBenchFile, double> Trial, int Ops, int FloorOps, int FloorSize,
        bool IntoScattered = false, bool EngineOnly = false);

    /// <summary>
    /// Runs every measurement on every target; <paramref name="scale"/> multiplies the operation
    /// counts. Each operation runs in rounds that visit every target in turn, a floor trial then
    /// the operation's trial, after a warm-up round that is not kept: drift in the machine's load
    /// hits every target and its floor alike.
    /// </summary>
    public static IReadOnlyList<Row> Measure(IReadOnlyList<BenchTarget> targets, double scale, int trials, TextWriter progress)
    {
        var files = new List<IBenchFile>();
        try
        {
            foreach (var target in targets)
            {
                files.Add(target.CreateFile(FileSize));
                Workload.Fill(files[^1], FileSize);
            }
            using var floor = new MemcpyFloor();
            var rows = new List<Row>();
            foreach (var measurement in Measurements(scale))
            {
                progress.WriteLine($"[single] {measurement.Operation}");
                var inTable = Enumerable.Range(0, targets.Count).Where(i => !measurement.EngineOnly || targets[i].Name != BenchTarget.HostName).ToList();
                rows.AddRange(Rounds(measurement, inTable.Select(i => (targets[i], files[i])).ToList(), floor, trials));
            }
            return rows;
        }
        finally
        {
            files.ForEach(f => f.Dispose());
        }
    }

    /// <summary>The table's operations at <paramref name="scale"/>; the faults touch every page of the file once per trial whatever the scale.</summary>
    private static IReadOnlyList<Measurement> Measurements(double scale)
    {
        int pages = (int)(FileSize / Page), ops = Math.Max(1000, (int)(OpsPerTrial * scale)), bigOps = Math.Max(16, ops / 64);
        return
        [
            new("pwrite 4 KiB", file => TimeIo(file, ops, Page, write: true), ops, ops, Page, IntoScattered: true),
            new("pread 4 KiB", file => TimeIo(file, ops, Page, write: false), ops, ops, Page),
            new("pwrite 1 MiB", file => TimeIo(file, bigOps, (int)MiB, write: true), bigOps, bigOps, (int)MiB, IntoScattered: true),
            new("pread 1 MiB", file => TimeIo(file, bigOps, (int)MiB, write: false), bigOps, bigOps, (int)MiB),
            new("mread 4 KiB (mapped)", file => TimeMappedRead(file, ops, pages), ops, ops, Page),
            new("read fault (PTE)", file => TimeFaults(file, pages, write: false), pages - 1, ops, Page),
            new("write fault (PTE)", file => TimeFaults(file, pages, write: true), pages - 1, ops, Page),
            // tmpfs on the host has no huge pages here, so only the engine has a PMD fault.
            new("read fault (PMD, 2 MiB)", TimePmdFaults, (int)(FileSize / Geometry.PmdSize), ops, Page, EngineOnly: true),
        ];
    }

    /// <summary>A warm-up round, then <paramref name="trials"/> rounds of a floor trial and an operation trial per target.</summary>
    /// <remarks>A write's floor copies from a cached buffer into the scattered 64 MiB, as pwrite does; a read's the other way.</remarks>
    private static IEnumerable<Row> Rounds(Measurement measurement, IReadOnlyList<(BenchTarget Target, IBenchFile File)> targets, MemcpyFloor floor, int trials)
    {
        var costs = targets.Select(_ => new List<double>()).ToList();
        var floors = targets.Select(_ => new List<double>()).ToList();
        for (int round = 0; round <= trials; round++)
            for (int t = 0; t < targets.Count; t++)
            {
                double floorNs = floor.Time(measurement.FloorOps, measurement.FloorSize, measurement.IntoScattered);
                double costNs = measurement.Trial(targets[t].File);
                bool warmUp = round == 0;
                if (warmUp)
                    continue;
                floors[t].Add(floorNs);
                costs[t].Add(costNs);
            }
        string floorName = (measurement.FloorSize == Page ? Memcpy4K : Memcpy1M) + (measurement.IntoScattered ? " (store side)" : "");
        return targets.Select((target, t) => new Row(target.Target.Name, measurement.Operation, Estimate.Of(costs[t]), floorName,
            Estimate.Of(floors[t]), measurement.Ops));
    }

    /// <summary>The physical floor: a plain copy between a 64 MiB buffer at scattered offsets and a buffer that stays cached.</summary>
    private sealed class MemcpyFloor : IDisposable
    {
        private readonly byte* source = (byte*)NativeMemory.AlignedAlloc((nuint)FileSize, Page);
        private readonly byte* destination = (byte*)NativeMemory.AlignedAlloc((nuint)MiB, Page);

        public MemcpyFloor()
        {
            NativeMemory.Fill(source, (nuint)FileSize, 1);
            NativeMemory.Fill(destination, (nuint)MiB, 2);
        }

        public double Time(int ops, int size, bool intoScattered)
        {
            int slots = (int)(FileSize / size);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < ops; i++)
            {
                byte* scattered = source + (long)Scatter(i, slots) * size;
                if (intoScattered)
                    Buffer.MemoryCopy(destination, scattered, size, size);
                else
                    Buffer.MemoryCopy(scattered, destination, size, size);
            }
            return clock.Elapsed.TotalNanoseconds / ops;
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(source);
            NativeMemory.AlignedFree(destination);
        }
    }

    /// <summary>A slot index that walks the whole file without a stride the prefetcher can follow.</summary>
    private static int Scatter(int i, int slots) => (int)((i * 2654435761L) % slots);

    private static double TimeIo(IBenchFile file, int ops, int size, bool write)
    {
        var buffer = new byte[size];
        int slots = (int)(FileSize / size);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < ops; i++)
        {
            long offset = (long)Scatter(i, slots) * size;
            if (write)
                file.Write(offset, buffer);
            else
                file.Read(offset, buffer);
        }
        return clock.Elapsed.TotalNanoseconds / ops;
    }

    private static double TimeMappedRead(IBenchFile file, int ops, int pages)
    {
        using var map = file.Map(0, FileSize);
        var buffer = new byte[Page];
        for (int p = 0; p < pages; p++)
            map.Load((long)p * Page, buffer.AsSpan(0, 1));
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < ops; i++)
            map.Load((long)Scatter(i, pages) * Page, buffer);
        return clock.Elapsed.TotalNanoseconds / ops;
    }

    /// <summary>
    /// Every page faults once: the mapping starts 4 KiB into the file, so its addresses and
    /// file offsets are never equally 2 MiB-aligned and every fault is a PTE fault.
    /// </summary>
    private static double TimeFaults(IBenchFile file, int pages, bool write)
    {
        using var map = file.Map(Page, FileSize - Page);
        Span<byte> one = stackalloc byte[1];
        var clock = Stopwatch.StartNew();
        for (int p = 0; p < pages - 1; p++)
        {
            if (write)
                map.Store((long)p * Page, one);
            else
                map.Load((long)p * Page, one);
        }
        return clock.Elapsed.TotalNanoseconds / (pages - 1);
    }

    /// <summary>Every 2 MiB of the file faults once through a 2 MiB-aligned mapping: each a PMD fault on the engine.</summary>
    private static double TimePmdFaults(IBenchFile file)
    {
        using var map = file.Map(0, FileSize);
        Span<byte> one = stackalloc byte[1];
        int huge = (int)(FileSize / Geometry.PmdSize);
        var clock = Stopwatch.StartNew();
        for (int h = 0; h < huge; h++)
            map.Load(h * Geometry.PmdSize, one);
        return clock.Elapsed.TotalNanoseconds / huge;
    }
}
