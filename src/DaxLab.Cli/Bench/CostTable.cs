using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DaxLab.Cli.Bench;

/// <summary>
/// The single-thread cost table: the engine's basic operations next to a plain 4 KiB memcpy
/// measured in the same run, so the ratios hold on any machine.
/// </summary>
public static unsafe class CostTable
{
    private const long MiB = 1 << 20;
    private const int Page = Geometry.PageSize;

    /// <summary>The working file: large enough to leave the CPU caches, small enough for a quick run.</summary>
    private const long FileSize = 64 * MiB;

    /// <summary>Each figure is the median of this many timed trials (after one warm-up), to shed noise.</summary>
    private const int Trials = 5;

    public sealed record Row(string Operation, double NanosecondsPerOp, double RatioToMemcpy);

    /// <summary>Runs every measurement; <paramref name="scale"/> multiplies the operation counts.</summary>
    public static IReadOnlyList<Row> Measure(double scale = 1.0)
    {
        using var fs = DaxFileSystem.CreateInMemory(FileSize * 2);
        using var file = fs.OpenFile("bench", DaxOpenFlags.Create);
        file.Write(0, new byte[FileSize]);
        int pages = (int)(FileSize / Page);
        int ops = Math.Max(1000, (int)(200_000 * scale));
        var figures = new List<(string, double)>
        {
            ("memcpy 4 KiB", Median(() => TimeMemcpy(ops))),
            ("pwrite 4 KiB", Median(() => TimeIo(file, ops, pages, write: true))),
            ("pread 4 KiB", Median(() => TimeIo(file, ops, pages, write: false))),
            ("mread 4 KiB (mapped)", Median(() => TimeMappedRead(file, ops, pages))),
            ("read fault (PTE)", Median(() => TimeFaults(file, pages, write: false))),
            ("write fault (PTE)", Median(() => TimeFaults(file, pages, write: true))),
            ("read fault (PMD, 2 MiB)", Median(() => TimePmdFaults(file))),
        };
        double floor = figures[0].Item2;
        return figures.Select(f => new Row(f.Item1, f.Item2, f.Item2 / floor)).ToList();
    }

    public static void Print(IReadOnlyList<Row> rows, TextWriter output)
    {
        output.WriteLine($"{"operation",-26} {"ns/op",10} {"x memcpy 4 KiB",15}");
        foreach (var row in rows)
            output.WriteLine($"{row.Operation,-26} {row.NanosecondsPerOp,10:F1} {row.RatioToMemcpy,15:F2}");
    }

    private static double Median(Func<double> trial)
    {
        trial();
        var results = Enumerable.Range(0, Trials).Select(_ => trial()).Order().ToArray();
        return results[Trials / 2];
    }

    private static double TimeMemcpy(int ops)
    {
        var source = (byte*)NativeMemory.AlignedAlloc((nuint)FileSize, Page);
        var destination = (byte*)NativeMemory.AlignedAlloc(Page, Page);
        try
        {
            NativeMemory.Fill(source, (nuint)FileSize, 1);
            int pages = (int)(FileSize / Page);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < ops; i++)
                Buffer.MemoryCopy(source + (long)Scatter(i, pages) * Page, destination, Page, Page);
            return clock.Elapsed.TotalNanoseconds / ops;
        }
        finally
        {
            NativeMemory.AlignedFree(source);
            NativeMemory.AlignedFree(destination);
        }
    }

    /// <summary>A page index that walks the whole file without a stride the prefetcher can follow.</summary>
    private static int Scatter(int i, int pages) => (int)((i * 2654435761L) % pages);

    private static double TimeIo(DaxFile file, int ops, int pages, bool write)
    {
        var buffer = new byte[Page];
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < ops; i++)
        {
            long offset = (long)Scatter(i, pages) * Page;
            if (write)
                file.Write(offset, buffer);
            else
                file.Read(offset, buffer);
        }
        return clock.Elapsed.TotalNanoseconds / ops;
    }

    private static double TimeMappedRead(DaxFile file, int ops, int pages)
    {
        using var map = file.Map(0, FileSize, MapProtection.Read, MapSharing.Shared);
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
    private static double TimeFaults(DaxFile file, int pages, bool write)
    {
        using var map = file.Map(Page, FileSize - Page, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        var one = new byte[1];
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

    private static double TimePmdFaults(DaxFile file)
    {
        using var map = file.Map(0, FileSize, MapProtection.Read, MapSharing.Shared);
        var one = new byte[1];
        int huge = (int)(FileSize / Geometry.PmdSize);
        var clock = Stopwatch.StartNew();
        for (int h = 0; h < huge; h++)
            map.Load(h * Geometry.PmdSize, one);
        return clock.Elapsed.TotalNanoseconds / huge;
    }
}
