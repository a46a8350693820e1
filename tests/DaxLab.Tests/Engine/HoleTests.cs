using System.Buffers.Binary;
using DaxLab.Base;
using DaxLab.Mm;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>
/// fstests holetest (generic/340, 344, 346): threads write per-thread markers into every page
/// of a mapped file of holes at once, one of them optionally through pwrite, prefaulted by
/// reads or not; then every marker must be there, through the mapping and through pread.
/// </summary>
public class HoleTests
{
    public enum Variant
    {
        Stores,
        OneThreadPwrite,
        PrefaultedByReads,
    }

    public enum Holes
    {
        Truncate,
        Fallocate,
    }

    private const int Threads = 2;

    [Theory]
    [InlineData(1, 10, Variant.Stores, Holes.Truncate)]
    [InlineData(1, 10, Variant.OneThreadPwrite, Holes.Truncate)]
    [InlineData(1, 10, Variant.PrefaultedByReads, Holes.Truncate)]
    [InlineData(1, 10, Variant.Stores, Holes.Fallocate)]
    [InlineData(16, 2, Variant.Stores, Holes.Truncate)]
    [InlineData(16, 2, Variant.OneThreadPwrite, Holes.Fallocate)]
    [InlineData(16, 2, Variant.PrefaultedByReads, Holes.Truncate)]
    [InlineData(256, 1, Variant.Stores, Holes.Truncate)]
    [InlineData(256, 1, Variant.OneThreadPwrite, Holes.Truncate)]
    public void Every_marker_written_into_holes_is_there(int mebibytes, int repetitions, Variant variant, Holes holes)
    {
        long size = mebibytes * MiB;
        for (int round = 0; round < repetitions; round++)
        {
            using var fs = NewFs(Math.Max(64, 2 * mebibytes) * MiB);
            using var file = fs.OpenFile("holetest", DaxOpenFlags.Create);
            if (holes == Holes.Truncate)
                file.Truncate(size);
            else
                file.Allocate(0, size, keepSize: false);
            using var map = file.Map(0, size, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
            RunWriters(file, map, size, variant);
            VerifyMarkers(file, map, size);
            Assert.Empty(fs.Check());
        }
    }

    private static void RunWriters(DaxFile file, DaxMapping map, long size, Variant variant)
    {
        using var start = new Barrier(Threads);
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                WriteMarkers(file, map, size, t, variant);
            }
            catch (Exception e)
            {
                lock (errors)
                    errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
    }

    private static void WriteMarkers(DaxFile file, DaxMapping map, long size, int thread, Variant variant)
    {
        Span<byte> marker = stackalloc byte[8];
        Span<byte> probe = stackalloc byte[8];
        for (long page = 0; page < size / Geometry.PageSize; page++)
        {
            long offset = page * Geometry.PageSize + thread * 8;
            BinaryPrimitives.WriteInt64LittleEndian(marker, Marker(thread, page));
            if (variant == Variant.PrefaultedByReads)
                map.Load(offset, probe);
            if (variant == Variant.OneThreadPwrite && thread == 1)
                file.Write(offset, marker);
            else
                map.Store(offset, marker);
        }
    }

    private static long Marker(int thread, long page) => ((long)(thread + 1) << 48) | page;

    private static void VerifyMarkers(DaxFile file, DaxMapping map, long size)
    {
        var viaRead = new byte[Geometry.PageSize];
        var viaMap = new byte[Geometry.PageSize];
        for (long page = 0; page < size / Geometry.PageSize; page++)
        {
            file.Read(page * Geometry.PageSize, viaRead);
            map.Load(page * Geometry.PageSize, viaMap);
            for (int t = 0; t < Threads; t++)
            {
                Assert.Equal(Marker(t, page), BinaryPrimitives.ReadInt64LittleEndian(viaRead.AsSpan(t * 8)));
                Assert.Equal(Marker(t, page), BinaryPrimitives.ReadInt64LittleEndian(viaMap.AsSpan(t * 8)));
            }
        }
    }
}
