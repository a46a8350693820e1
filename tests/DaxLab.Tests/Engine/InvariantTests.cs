using DaxLab.Base;
using DaxLab.Checker;
using DaxLab.Index;
using DaxLab.Sync;

namespace DaxLab.Tests.Engine;

/// <summary>The engine's invariants are live in Release: broken, they throw on real threads and fail a checked run.</summary>
public class InvariantTests
{
    [Fact]
    public void A_broken_invariant_throws_with_its_words_on_real_threads()
    {
        var index = new MappingIndex(Seam.RealThreads);
        var broken = Assert.Throws<InvariantViolationException>(() => index.Store(3, DaxEntry.MakeZero(pmd: false)));
        Assert.Contains("xa_lock is held when the index changes", broken.Message);
    }

    [Fact]
    public void An_entry_replaced_without_its_lock_is_caught()
    {
        var index = new MappingIndex(Seam.RealThreads);
        using var xa = index.XaLock.Hold();
        index.Store(3, DaxEntry.MakeZero(pmd: false));
        var broken = Assert.Throws<InvariantViolationException>(() => index.Store(3, DaxEntry.MakeMapped(9, pmd: false)));
        Assert.Contains("an entry is changed only while locked", broken.Message);
    }

    [Fact]
    public void A_broken_invariant_under_the_checker_is_a_failure_with_a_diagram()
    {
        var result = Explorer.Explore(ForgetfulStore, new ExploreOptions(StrategyKind.Dfs, StopOnFailure: true));
        var failure = Assert.Single(result.Failures);
        Assert.Contains("invariant broken: xa_lock is held when the index changes", failure.Message);
        string diagram = Diagram.Render(failure.CpuLabels, Diagram.Compact(failure.Trace));
        Assert.Contains("CPU2 - stores without xa_lock", diagram);
        Assert.Contains("grab_mapping_entry", diagram);
        Assert.False(string.IsNullOrEmpty(failure.ReplayToken));
    }

    /// <summary>CPU1 keeps the rule, CPU2 breaks it: the kind of slip the invariant is there to catch.</summary>
    private static RunSetup ForgetfulStore(Seam seam)
    {
        var index = new MappingIndex(seam);
        return new RunSetup(
        [
            new CpuBody("CPU1 - stores under xa_lock", () =>
            {
                using var xa = index.XaLock.Hold();
                index.Store(1, DaxEntry.MakeZero(pmd: false));
            }),
            new CpuBody("CPU2 - stores without xa_lock", () =>
            {
                seam.Point("grab_mapping_entry");
                index.Store(2, DaxEntry.MakeZero(pmd: false));
            }),
        ]);
    }
}
