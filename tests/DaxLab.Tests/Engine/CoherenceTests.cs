using DaxLab.Base;
using DaxLab.Mm;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>
/// Model-based: random system calls and mapped accesses on one file, checked after each step
/// against a plain byte array: read(2), a shared mapping and a private mapping's untouched
/// pages must all show the model's bytes.
/// </summary>
public class CoherenceTests
{
    private const int MaxSize = 3 << 20;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Reads_and_mappings_agree_with_a_byte_model(string design, int seed)
    {
        var random = new Random(seed);
        using var fs = NewFs(design);
        using var file = fs.OpenFile("model", DaxOpenFlags.Create);
        var model = new byte[MaxSize];
        long size = 0;
        using var map = file.Map(0, MaxSize, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        for (int step = 0; step < 40; step++)
        {
            string op = Step(random, file, map, model, ref size);
            Verify(file, map, model, size, $"{design} seed {seed} step {step} after {op}", SigBusOnEmptyFile(design));
        }
        Assert.Empty(fs.Check());
    }

    /// <summary>v4.12 with its hole pages and dax_pfn_mkwrite, v4.14 with zero-page entries and the whole fault.</summary>
    public static IEnumerable<object[]> Seeds() =>
        from design in new[] { "v4.12", "v4.14" }
        from seed in Enumerable.Range(1, 60)
        select new object[] { design, seed };

    /// <summary>
    /// Before 957ac8c421ad a PMD fault on an empty file mapped the huge zero page past EOF
    /// (scenario pmd-fault-on-empty-file); the byte model holds the engine to that, not to SIGBUS.
    /// </summary>
    private static bool SigBusOnEmptyFile(string design) => Designs.DesignCatalog.Find(design).Dax.PmdFaultSigBusOnEmptyFile;

    private static string Step(Random random, DaxFile file, DaxMapping map, byte[] model, ref long size)
    {
        long offset = RandomOffset(random);
        int length = (int)Math.Min(random.Next(1, 3 * Geometry.PageSize), MaxSize - offset);
        switch (random.Next(8))
        {
            case 0:
            case 1:
                var data = Pattern(length, (byte)random.Next(256));
                file.Write(offset, data);
                data.CopyTo(model, offset);
                size = Math.Max(size, offset + length);
                return $"pwrite {offset} {length}";
            case 2:
                if (offset + length > Geometry.PageAlignDown(size))
                    return "nothing";
                var stored = Pattern(length, (byte)random.Next(256));
                map.Store(offset, stored);
                stored.CopyTo(model, offset);
                return $"store {offset} {length}";
            case 3:
                long newSize = RandomOffset(random);
                file.Truncate(newSize);
                if (newSize < size)
                    Array.Clear(model, (int)newSize, (int)(size - newSize));
                size = newSize;
                return $"truncate {newSize}";
            case 4:
                file.PunchHole(offset, length);
                long punchEnd = Math.Min(offset + length, size);
                if (punchEnd > offset)
                    Array.Clear(model, (int)offset, (int)(punchEnd - offset));
                return $"fpunch {offset} {length}";
            case 5:
                bool keep = random.Next(2) == 0;
                file.ZeroRange(offset, length, keep);
                long zeroEnd = keep ? Math.Min(offset + length, size) : offset + length;
                if (zeroEnd > offset)
                    Array.Clear(model, (int)offset, (int)(zeroEnd - offset));
                if (!keep)
                    size = Math.Max(size, offset + length);
                return $"fzero {offset} {length}";
            case 6:
                file.Allocate(offset, length, keepSize: false);
                size = Math.Max(size, offset + length);
                return $"falloc {offset} {length}";
            default:
                file.Fsync();
                map.Advise(0, MaxSize, MapAdvice.DontNeed);
                return "fsync + madvise";
        }
    }

    private static long RandomOffset(Random random) => random.Next(4) switch
    {
        0 => random.Next(MaxSize / Geometry.PageSize) * (long)Geometry.PageSize,
        1 => 2L << 20,
        _ => random.Next(MaxSize - 1),
    };

    private static void Verify(DaxFile file, DaxMapping map, byte[] model, long size, string where, bool sigBusOnEmptyFile)
    {
        Assert.True(size == file.Length, $"{where}: size {file.Length}, model {size}");
        var read = new byte[size];
        Assert.Equal(size, file.Read(0, read));
        Assert.True(model.AsSpan(0, (int)size).SequenceEqual(read), $"{where}: read(2) differs from the model");
        long mapped = Geometry.PageAlignUp(size);
        var viaMap = new byte[mapped];
        map.Load(0, viaMap);
        Assert.True(model.AsSpan(0, (int)size).SequenceEqual(viaMap.AsSpan(0, (int)size)), $"{where}: the mapping differs from the model");
        if (mapped < MaxSize && (size > 0 || sigBusOnEmptyFile))
            Assert.Throws<SigBusException>(() => map.Load(mapped, new byte[1]));
    }
}
