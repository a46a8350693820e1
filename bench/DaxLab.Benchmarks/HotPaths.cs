using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using DaxLab.Mm;

namespace DaxLab.Benchmarks;

/// <summary>
/// Microbenchmarks of the engine's hot paths (design v4.12, in-memory device, seam compiled in):
/// a load of an already-mapped 4 KiB page, a 4 KiB pwrite and pread over allocated blocks, and a
/// PTE read fault; each beside a 4 KiB memcpy, the physical floor. MemoryDiagnoser's column is the
/// allocation goal: 0 bytes per operation. The pages walk a 64 MiB file, so caches do not hold them.
/// </summary>
[MemoryDiagnoser]
public unsafe class HotPaths
{
    private const int Page = 4096;

    /// <summary>The file: larger than the last-level cache, as in `daxlab bench`.</summary>
    private const long FileSize = 64L << 20;

    private const int Pages = (int)(FileSize / Page);

    private DaxFileSystem fs = null!;
    private DaxFile file = null!;
    private DaxMapping mapped = null!;
    private DaxMapping faulting = null!;
    private readonly byte[] buffer = new byte[Page];
    private byte* source;
    private byte* destination;
    private int next;

    [GlobalSetup]
    public void Setup()
    {
        fs = DaxFileSystem.CreateInMemory(2 * FileSize);
        file = fs.OpenFile("bench", DaxOpenFlags.Create);
        var chunk = new byte[1 << 20];
        for (long at = 0; at < FileSize; at += chunk.Length)
            file.Write(at, chunk);
        mapped = file.Map(0, FileSize, MapProtection.Read, MapSharing.Shared);
        for (int p = 0; p < Pages; p++)
            mapped.Load((long)p * Page, buffer.AsSpan(0, 1));
        // From 4 KiB in, so every fault is a PTE fault (no whole 2 MiB range is congruent).
        faulting = file.Map(Page, FileSize - Page, MapProtection.Read, MapSharing.Shared);
        source = (byte*)NativeMemory.AlignedAlloc((nuint)FileSize, Page);
        destination = (byte*)NativeMemory.AlignedAlloc(Page, Page);
        NativeMemory.Fill(source, (nuint)FileSize, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        faulting.Dispose();
        mapped.Dispose();
        fs.Dispose();
        NativeMemory.AlignedFree(source);
        NativeMemory.AlignedFree(destination);
    }

    /// <summary>The next page of a walk the prefetcher cannot follow.</summary>
    private long NextOffset() => (long)(int)((next++ * 2654435761L) % Pages) * Page;

    [Benchmark(Baseline = true, Description = "memcpy 4 KiB")]
    public void Memcpy4K() => Buffer.MemoryCopy(source + NextOffset(), destination, Page, Page);

    [Benchmark(Description = "mapped 4 KiB load")]
    public void MappedLoad() => mapped.Load(NextOffset(), buffer);

    [Benchmark(Description = "pwrite 4 KiB")]
    public void Pwrite4K() => file.Write(NextOffset(), buffer);

    [Benchmark(Description = "pread 4 KiB")]
    public void Pread4K() => file.Read(NextOffset(), buffer);

    /// <summary>One load that faults: the page's entry is dropped first (MADV_DONTNEED of 4 KiB, counted in the figure).</summary>
    [Benchmark(Description = "PTE read fault (+ 4 KiB MADV_DONTNEED)")]
    public void PteFault()
    {
        long offset = NextOffset() % (FileSize - Page);
        faulting.Advise(offset, Page, MapAdvice.DontNeed);
        faulting.Load(offset, buffer.AsSpan(0, 1));
    }
}
