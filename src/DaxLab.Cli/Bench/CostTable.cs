using System.Diagnostics;
using System.Runtime.InteropServices;
using DaxLab.Base;

namespace DaxLab.Cli.Bench;

/// <summary>
/// The single-thread cost table: the basic operations of one target (the engine under a design,
/// or the host kernel on tmpfs), each next to a plain memcpy of the same size measured in the
/// same run, so the ratios hold on any machine.
/// </summary>
public static unsafe class CostTable
{
    private const long MiB = 1 << 20;
    private const int Page = Geometry.PageSize;

    /// <summary>The working file: large enough to leave the CPU caches, small enough for a quick run.</summary>
    private const long FileSize = 64 * MiB;

    /// <summary>Each figure is the median of this many timed trials (after one warm-up), to shed noise.</summary>
    private const int Trials = 5;

    /// <summary>Operations per 4 KiB trial at scale 1; a 1 MiB trial does 1/64 as many.</summary>
    private const int OpsPerTrial = 200_000;

    public const string Memcpy4K = "memcpy 4 KiB";
    public const string Memcpy1M = "memcpy 1 MiB";

    /// <summary>One figure: its cost and the memcpy floor of the same size, timed in alternation with it.</summary>
    public sealed record Row(string Operation, double NanosecondsPerOp, string Floor, double FloorNanosecondsPerOp)
    {
        public double RatioToFloor => NanosecondsPerOp / FloorNanosecondsPerOp;
    }

    /// <summary>Runs every measurement on <paramref name="target"/>; <paramref name="scale"/> multiplies the operation counts.</summary>
    public static IReadOnlyList<Row> Measure(BenchTarget target, double scale = 1.0)
    {
        using var file = target.CreateFile(FileSize);
        Workload.Fill(file, FileSize);
        using var floor = new MemcpyFloor();
        int pages = (int)(FileSize / Page), ops = Math.Max(1000, (int)(OpsPerTrial * scale)), bigOps = Math.Max(16, ops / 64);
        var rows = new List<Row>
        {
            Paired("pwrite 4 KiB", () => TimeIo(file, ops, Page, write: true), floor, ops, Page, intoScattered: true),
            Paired("pread 4 KiB", () => TimeIo(file, ops, Page, write: false), floor, ops, Page),
            Paired("pwrite 1 MiB", () => TimeIo(file, bigOps, (int)MiB, write: true), floor, bigOps, (int)MiB, intoScattered: true),
            Paired("pread 1 MiB", () => TimeIo(file, bigOps, (int)MiB, write: false), floor, bigOps, (int)MiB),
            Paired("mread 4 KiB (mapped)", () => TimeMappedRead(file, ops, pages), floor, ops, Page),
            Paired("read fault (PTE)", () => TimeFaults(file, pages, write: false), floor, ops, Page),
            Paired("write fault (PTE)", () => TimeFaults(file, pages, write: true), floor, ops, Page),
        };
        // tmpfs on the host has no huge pages here, so only the engine has a PMD fault.
        if (target.Name != BenchTarget.HostName)
            rows.Add(Paired("read fault (PMD, 2 MiB)", () => TimePmdFaults(file), floor, ops, Page));
        return rows;
    }

    /// <summary>
    /// Alternates a floor trial and an operation trial, after one warm-up of each, so both see the
    /// same load from other jobs; reports the median of each.
    /// </summary>
    /// <remarks>A write's floor copies from a cached buffer into the scattered 64 MiB, as pwrite does; a read's the other way.</remarks>
    private static Row Paired(string operation, Func<double> trial, MemcpyFloor floor, int floorOps, int floorSize, bool intoScattered = false)
    {
        double floorTrial() => floor.Time(floorOps, floorSize, intoScattered);
        trial();
        floorTrial();
        var costs = new double[Trials];
        var floors = new double[Trials];
        for (int i = 0; i < Trials; i++)
        {
            floors[i] = floorTrial();
            costs[i] = trial();
        }
        Array.Sort(costs);
        Array.Sort(floors);
        string floorName = (floorSize == Page ? Memcpy4K : Memcpy1M) + (intoScattered ? " (store side)" : "");
        return new Row(operation, costs[Trials / 2], floorName, floors[Trials / 2]);
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
