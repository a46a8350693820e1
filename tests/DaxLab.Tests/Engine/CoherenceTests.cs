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
    public void Reads_and_mappings_agree_with_a_byte_model(int seed)
    {
        var random = new Random(seed);
        using var fs = NewFs();
        using var file = fs.OpenFile("model", DaxOpenFlags.Create);
        var model = new byte[MaxSize];
        long size = 0;
        using var map = file.Map(0, MaxSize, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        for (int step = 0; step < 40; step++)
        {
            string op = Step(random, file, map, model, ref size);
            Verify(file, map, model, size, $"seed {seed} step {step} after {op}");
        }
        Assert.Empty(fs.Check());
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 60).Select(s => new object[] { s });

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

    private static void Verify(DaxFile file, DaxMapping map, byte[] model, long size, string where)
    {
        Assert.True(size == file.Length, $"{where}: size {file.Length}, model {size}");
        var read = new byte[size];
        Assert.Equal(size, file.Read(0, read));
        Assert.True(model.AsSpan(0, (int)size).SequenceEqual(read), $"{where}: read(2) differs from the model");
        long mapped = Geometry.PageAlignUp(size);
        var viaMap = new byte[mapped];
        map.Load(0, viaMap);
        Assert.True(model.AsSpan(0, (int)size).SequenceEqual(viaMap.AsSpan(0, (int)size)), $"{where}: the mapping differs from the model");
        if (mapped < MaxSize)
            Assert.Throws<SigBusException>(() => map.Load(mapped, new byte[1]));
    }
}
