using DaxLab.Designs;
using DaxLab.Mm;

namespace DaxLab.Tests.Engine;

/// <summary>
/// The 2017 race on real threads: a read fault on a 2 MiB hole against a write(2) that fills it.
/// Whatever the interleaving, afterwards the mapping must show what read(2) shows. (The 4 KiB
/// form of the race did not show in 3000 rounds on v4.10 here, so it is left to the checker.)
/// </summary>
public class RaceStressTests
{
    private const long HoleSize = 2L << 20;
    private const int Rounds = 1500;

    // With v4.10 instead, this loop found a stale round in about half of its runs here: too
    // seldom for a test that must fail; VerdictTests.The_v4_10_bug_shows_on_real_threads is that one.
    [Fact]
    public void Read_fault_racing_pwrite_on_a_hole_never_leaves_a_stale_zero_page() =>
        Assert.Null(FirstStaleRound(DesignCatalog.Default));

    // The first round whose mapping still shows zeros after the write, or null.
    private static int? FirstStaleRound(Design design)
    {
        using var fs = DaxFileSystem.CreateInMemory(64L << 20, new DaxOptions { Design = design });
        var hello = "HELLO WORLD!"u8.ToArray();
        using var file = fs.OpenFile("race", DaxOpenFlags.Create);
        using var go = new Barrier(2);
        for (int round = 0; round < Rounds; round++)
        {
            file.Truncate(0);
            file.Truncate(2 * HoleSize);
            using var map = file.Map(HoleSize, HoleSize, MapProtection.Read, MapSharing.Shared);
            var faulter = new Thread(() =>
            {
                go.SignalAndWait();
                map.Load(0, new byte[1]);
            });
            faulter.Start();
            go.SignalAndWait();
            file.Write(HoleSize, hello);
            faulter.Join();
            var seen = new byte[hello.Length];
            map.Load(0, seen);
            if (!hello.AsSpan().SequenceEqual(seen))
                return round;
        }
        return null;
    }
}
