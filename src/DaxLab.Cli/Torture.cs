using DaxLab.Base;
using DaxLab.Mm;

namespace DaxLab.Cli;

/// <summary>
/// `daxlab torture DEVICE [--seed N] [--ops N]`: a seeded, metadata-heavy random workload on a
/// device (creates, writes that allocate, truncates both ways, punches, fallocate, zero range,
/// mapped stores, fsync), printing "done I" after operation I returns. Kill it at any moment
/// (kill -9): the device must then mount and pass fsck.
/// </summary>
public static class Torture
{
    /// <summary>Files the workload spreads over: enough to exercise the inode table, few enough to meet often.</summary>
    private const int Files = 8;

    /// <summary>The largest offset touched: 8 MiB, so a 64 MiB device runs out of neither blocks nor time.</summary>
    private const int MaxOffset = 8 << 20;

    public static int Run(string device, int seed, long operations, TextWriter stdout)
    {
        using var fs = DaxFileSystem.Open(device);
        Run(fs, seed, operations, stdout);
        return 0;
    }

    /// <summary>The workload itself: the same seed gives the same operations on any device.</summary>
    public static void Run(DaxFileSystem fs, int seed, long operations, TextWriter stdout)
    {
        var random = new Random(seed);
        for (long i = 0; i < operations; i++)
        {
            using (var file = fs.OpenFile("t" + random.Next(Files), DaxOpenFlags.Create))
                Step(random, file);
            stdout.Write($"done {i}\n");
            stdout.Flush();
        }
    }

    private static void Step(Random random, DaxFile file)
    {
        long offset = random.Next(MaxOffset);
        int length = random.Next(1, 256 << 10);
        switch (random.Next(7))
        {
            case 0:
                file.Write(offset, new byte[length]);
                break;
            case 1:
                file.Truncate(random.Next(MaxOffset));
                break;
            case 2:
                file.PunchHole(offset, length);
                break;
            case 3:
                file.Allocate(offset, length, keepSize: random.Next(2) == 0);
                break;
            case 4:
                file.ZeroRange(offset, length, keepSize: random.Next(2) == 0);
                break;
            case 5:
                StoreThroughMapping(file, random);
                break;
            default:
                file.Fsync();
                break;
        }
    }

    private static void StoreThroughMapping(DaxFile file, Random random)
    {
        long size = Geometry.PageAlignDown(file.Length);
        if (size == 0)
            return;
        using var map = file.Map(0, size, MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        map.Store(random.NextInt64(size - 8), BitConverter.GetBytes(random.NextInt64()));
    }
}
