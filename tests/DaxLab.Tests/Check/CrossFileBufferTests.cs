using DaxLab.Base;
using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Tests.Check;

/// <summary>
/// Two write(2)s on two files, each with a mapping of the other file's hole as its buffer
/// (generic/413's pattern run both ways at once). Each alone passes on every design, since a
/// fault on another file takes that file's locks (lockdep flags it where the pair deadlocks);
/// together, the designs whose write(2) holds a lock that faults take deadlock ABBA. The scenario language has one file, so the checker is
/// driven directly, and only deadlocks are judged (the oracle's checks are the scenarios').
/// </summary>
public class CrossFileBufferTests
{
    private const int Page = Geometry.PageSize;

    [Theory]
    [InlineData("v4.10", false)]
    [InlineData("ross-v1", false)]
    [InlineData("v4.12", false)]
    [InlineData("mmap-sem", true)]
    [InlineData("range-lock", true)]
    [InlineData("rw-entry-locks", true)]
    public void Writes_whose_buffers_map_each_others_file_deadlock_where_the_write_holds_what_faults_take(string designName, bool deadlocks)
    {
        using var runs = new CrossedWrites(DesignCatalog.Find(designName), both: true);
        var result = Explorer.Explore(runs.Build, new ExploreOptions(StrategyKind.Dfs, Reduction: false, StopOnFailure: deadlocks, LockOrder: false));
        if (!deadlocks)
        {
            Assert.True(result.Failures.Count == 0, string.Join("\n\n", result.Failures));
            Assert.True(result.Exhausted, $"{result.Schedules} schedules without exhausting the bound");
            return;
        }
        var failure = Assert.Single(result.Failures);
        Assert.Equal(FailureKind.Deadlock, failure.Kind);
        Assert.Equal(1, failure.Preemptions);
    }

    /// <summary>
    /// One such write alone never deadlocks, but where the crossed pair does, lockdep flags the
    /// single write already: it takes the lock its fault takes again on the other file (the
    /// same class under itself), after mmap_lock, which faults take first.
    /// </summary>
    [Theory]
    [InlineData("v4.10", false)]
    [InlineData("ross-v1", false)]
    [InlineData("v4.12", false)]
    [InlineData("v4.14", false)]
    [InlineData("mmap-sem", true)]
    [InlineData("range-lock", true)]
    [InlineData("rw-entry-locks", true)]
    public void A_write_whose_buffer_maps_another_file_passes_alone_and_lockdep_foresees_the_crossed_deadlock(string designName, bool crossedDeadlocks)
    {
        using var runs = new CrossedWrites(DesignCatalog.Find(designName), both: false);
        var result = Explorer.Explore(runs.Build, new ExploreOptions(StrategyKind.Dfs, Reduction: false));
        Assert.True(result.Exhausted);
        Assert.True(result.Failures.All(f => f.Kind == FailureKind.LockOrder), string.Join("\n\n", result.Failures));
        Assert.Equal(crossedDeadlocks, result.Failures.Count > 0);
    }

    /// <summary>
    /// The factory: a fresh file system per run with files a and b, each a 4 KiB hole mapped
    /// read-only; CPU1 writes a from b's mapping and, when <paramref name="both"/>, CPU2 b from a's.
    /// </summary>
    private sealed class CrossedWrites(Design design, bool both) : IDisposable
    {
        private DaxFileSystem? last;

        public RunSetup Build(Seam seam)
        {
            last?.Abandon();
            var fs = DaxFileSystem.CreateInMemory(16L << 20, new DaxOptions { Seam = seam, Design = design });
            last = fs;
            var a = fs.OpenFile("a", DaxOpenFlags.Create);
            var b = fs.OpenFile("b", DaxOpenFlags.Create);
            a.Truncate(Page);
            b.Truncate(Page);
            var mapA = a.Map(0, Page, MapProtection.Read, MapSharing.Shared);
            var mapB = b.Map(0, Page, MapProtection.Read, MapSharing.Shared);
            var first = new CpuBody("CPU1 - write(2) a from b", () => a.Write(0, mapB, 0, Page));
            var second = new CpuBody("CPU2 - write(2) b from a", () => b.Write(0, mapA, 0, Page));
            return new RunSetup(both ? [first, second] : [first]);
        }

        public void Dispose() => last?.Abandon();
    }
}
