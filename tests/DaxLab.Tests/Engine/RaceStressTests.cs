using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>
/// The 2017 race on real threads: a read fault on a hole against a write(2) that fills it.
/// Whatever the interleaving, afterwards the mapping must show what read(2) shows.
/// </summary>
public class RaceStressTests
{
    [Theory]
    [InlineData(4096L, 3000)]
    [InlineData(2L << 20, 1500)]
    public void Read_fault_racing_pwrite_on_a_hole_never_leaves_a_stale_zero_page(long holeSize, int rounds)
    {
        using var fs = NewFs();
        var hello = "HELLO WORLD!"u8.ToArray();
        using var file = fs.OpenFile("race", DaxOpenFlags.Create);
        using var go = new Barrier(2);
        for (int round = 0; round < rounds; round++)
        {
            file.Truncate(0);
            file.Truncate(2 * holeSize);
            using var map = file.Map(holeSize, holeSize, MapProtection.Read, MapSharing.Shared);
            var faulter = new Thread(() =>
            {
                go.SignalAndWait();
                map.Load(0, new byte[1]);
            });
            faulter.Start();
            go.SignalAndWait();
            file.Write(holeSize, hello);
            faulter.Join();
            var seen = new byte[hello.Length];
            map.Load(0, seen);
            Assert.True(hello.AsSpan().SequenceEqual(seen), $"round {round}: the mapping shows stale zeros");
        }
    }
}
