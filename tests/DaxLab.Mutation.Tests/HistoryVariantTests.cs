using DaxLab.Checker;
using DaxLab.Scenarios.History;

namespace DaxLab.Mutation.Tests;

/// <summary>
/// The code only a historical variant runs (the switches of <c>HistorySwitches</c>, the 2017
/// designs' policies): each bug of docs/history.md still fails on its variant, after the same
/// number of schedules and with the same failure as unmutated (the search is deterministic), so a
/// mutant of a path no v4.12 cell reaches is killed when it changes what the bug does.
/// </summary>
public class HistoryVariantTests
{
    /// <summary>Each bug's first failure on its variant, unmutated: (schedules searched, kind, message).</summary>
    private static readonly Dictionary<int, (int Schedules, FailureKind Kind, string Message)> FirstFailures = new()
    {
        [1] = (8, FailureKind.EndCheck,
            "end check: hole page at page 1 covers allocated blocks; page at 4096 is mapped writable but its entry is clean: a store would escape fsync"),
        [2] = (23, FailureKind.Deadlock,
            "deadlock: no CPU can run.\n"
            + "  CPU1 - read fault A: finished\n"
            + "  CPU2 - read fault B: finished\n"
            + "  CPU3 - read fault C: asleep at get_unlocked_entry on wait queue entry for index 1 of DaxLab.Index.AddressSpace"),
        [3] = (4, FailureKind.Deadlock,
            "deadlock: no CPU can run.\n"
            + "  CPU1 - PTE read fault: finished\n"
            + "  CPU2 - PMD read fault: asleep at get_unlocked_entry on wait queue entry for index 0 of DaxLab.Index.AddressSpace"),
        [4] = (210, FailureKind.Deadlock,
            "deadlock: no CPU can run.\n"
            + "  CPU1 - fsync A: finished\n"
            + "  CPU2 - truncate: finished\n"
            + "  CPU3 - fsync B: finished\n"
            + "  CPU4 - fsync C: asleep at get_unlocked_entry on wait queue entry for index 0 of DaxLab.Index.AddressSpace"),
        [5] = (1, FailureKind.EndCheck,
            "end check: page at 0 is mapped writable but its entry is clean: a store would escape fsync"),
        [6] = (1, FailureKind.EndCheck,
            "end check: page at 4096 is mapped writable but its entry is clean: a store would escape fsync"),
        [7] = (45, FailureKind.Exception,
            "CPU1 - PMD read fault A threw PageTableCorruptionException: a PTE fault at file offset 0 found a huge PMD mapped over its page table"),
        [8] = (39, FailureKind.EndCheck,
            "end check: mapping at file offset 0: a PMD fault at file offset 0 mapped a huge page over a page table, leaking it and its 1 translation(s)"),
        [9] = (1, FailureKind.EndCheck,
            "end check: entry at page 0 is wholly past EOF (i_size 0): pmd zero; mapping at file offset 0: a huge page at file offset 0 is mapped past EOF (i_size 0); CPU1's 'mread 0 1' reached file offset 0, wholly past EOF while it ran (i_size at most 0), without SIGBUS"),
        [11] = (4, FailureKind.EndCheck,
            "end check: truncate dropped the entry at file offset 4096 while device page 513 was pinned (get_user_pages): its block is freed under a DMA"),
        [12] = (1, FailureKind.EndCheck,
            "end check: mapping 0 shows 0x11 at file offset 0, expected 0x50"),
        [13] = (53, FailureKind.EndCheck,
            "end check: truncate dropped the entry at file offset 4096 while device page 513 was pinned (get_user_pages): its block is freed under a DMA"),
        [15] = (47, FailureKind.Deadlock,
            "deadlock: no CPU can run.\n"
            + "  CPU1 - write(2): asleep at get_unlocked_entry on wait queue entry for index 1 of DaxLab.Index.AddressSpace\n"
            + "  CPU2 - write fault: asleep at wait_transaction_locked on journal jbd2 (T1 locked for commit, 1 handle(s))\n"
            + "  CPU3 - fsync: asleep at jbd2_log_wait_commit on journal jbd2 (T1 locked for commit, 1 handle(s))"),
        [16] = (4, FailureKind.EndCheck,
            "end check: interleaved writes: CPU1's 'pwrite -S 0x41 2044k 8k' and CPU2's 'pwrite -S 0x42 2044k 8k' overlapped: the file ends with bytes [2093056, 2097152) not from the first, bytes [2097152, 2101248) not from the second"),
        [19] = (1, FailureKind.StepLimit,
            "step limit: the run took 2000 steps without finishing (MaxStepsPerRun). A CPU probably spins in a loop that reschedules without a blocking call: a re-check loop must Block on a channel that the releaser wakes. If the scenario is just long, raise MaxStepsPerRun."),
        [20] = (1, FailureKind.StepLimit,
            "step limit: the run took 2000 steps without finishing (MaxStepsPerRun). A CPU probably spins in a loop that reschedules without a blocking call: a re-check loop must Block on a channel that the releaser wakes. If the scenario is just long, raise MaxStepsPerRun."),
    };

    public static TheoryData<int> Bugs() => new(HistoryCorpus.Bugs.Select(bug => bug.Number));

    [Theory]
    [MemberData(nameof(Bugs))]
    public void The_variant_still_fails_as_the_bug_did(int number)
    {
        var result = HistoryCheck.FindBug(HistoryCorpus.Bugs.Single(bug => bug.Number == number), TimeSpan.FromSeconds(60));
        Assert.True(result.Failures.Count > 0, $"bug {number}'s variant no longer fails ({result.Schedules} schedules)");
        var (schedules, kind, message) = FirstFailures[number];
        Assert.Equal(message, result.Failures[0].Message);
        Assert.Equal(kind, result.Failures[0].Kind);
        Assert.Equal(schedules, result.Schedules);
    }
}
