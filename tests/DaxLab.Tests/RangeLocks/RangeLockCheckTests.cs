using DaxLab.Checker;
using DaxLab.RangeLocks;
using DaxLab.Sync;
using Xunit.Abstractions;

namespace DaxLab.Tests.RangeLocks;

/// <summary>
/// Exhaustive checks (DFS, preemption bound 2) of both DaxLab.RangeLocks algorithms under the
/// checker, through the seam's parking policy: every CPU records its hold in a shared ownership
/// model on entry and checks there that no conflicting holder coexists; a run must also never
/// deadlock or hit the step limit.
/// </summary>
public class RangeLockCheckTests(ITestOutputHelper output)
{
    /// <summary>One request of a CPU: the range, the mode, and whether to downgrade once held (writes only).</summary>
    public readonly record struct Request(long Start, long End, bool Write, bool Downgrade = false)
    {
        public override string ToString() => $"{(Write ? "write" : "read")} [{Start}, {End})";
    }

    /// <summary>How a scenario takes a range: the library's lock, or a broken toy.</summary>
    public delegate IDisposable Acquire(Request request, CancellationToken ct);

    /// <summary>Holds currently inside a critical section; a shared word, declared with Access.</summary>
    private sealed class Ownership(Seam seam)
    {
        public readonly List<(string Cpu, long Start, long End, bool Write)> Holds = [];

        /// <summary>Enters a critical section; throws if a conflicting hold is already there.</summary>
        public void Enter(string cpu, long start, long end, bool write)
        {
            seam.Access(this, write: true);
            foreach (var h in Holds)
            {
                if (h.Start < end && start < h.End && (h.Write || write))
                    throw new InvalidOperationException(
                        $"{cpu} holds {(write ? "write" : "read")} [{start}, {end}) while {h.Cpu} holds {(h.Write ? "write" : "read")} [{h.Start}, {h.End})");
            }
            Holds.Add((cpu, start, end, write));
            seam.Note($"holds {(write ? "write" : "read")} [{start}, {end})");
        }

        public void Leave(string cpu)
        {
            seam.Access(this, write: true);
            Holds.RemoveAll(h => h.Cpu == cpu);
        }

        /// <summary>The end check: every critical section was left.</summary>
        public string? Empty() => Holds.Count == 0 ? null : $"{Holds.Count} holds left in the ownership model";

        public override string ToString() => "ownership model";
    }

    public enum Algorithm { Fair, List, ListWholeObject }

    private static RangeLock NewLock(Algorithm algorithm, Seam seam)
    {
        var parking = seam.NewRangeLockParking("rl");
        return algorithm switch
        {
            Algorithm.Fair => new FairRangeLock(parking),
            Algorithm.List => new ListRangeLock(wholeObjectFastPath: false, parking: parking),
            _ => new ListRangeLock(wholeObjectFastPath: true, parking: parking),
        };
    }

    private static Acquire Library(RangeLock rl) => (request, ct) =>
    {
        var held = request.Write ? rl.AcquireWrite(request.Start, request.End, ct) : rl.AcquireRead(request.Start, request.End, ct);
        return new Releaser(held);
    };

    /// <summary>Boxes a releaser so the scenario can downgrade it in place.</summary>
    private sealed class Releaser(RangeLockReleaser held) : IDisposable
    {
        public RangeLockReleaser Held = held;

        public void Dispose() => Held.Dispose();
    }

    /// <summary>
    /// Each CPU takes its requests in turn. Inside each critical section: enter the ownership
    /// model (failing if a conflicting hold is there), a scheduling point, optionally downgrade
    /// (entering the model again as a reader), a point, leave. The end check wants the model empty.
    /// </summary>
    private static RunSetup Scenario(Seam seam, Acquire acquire, params Request[][] cpus)
    {
        var owners = new Ownership(seam);
        CpuBody Body(int n, Request[] requests)
        {
            string label = $"CPU{n + 1} - " + string.Join(", ", requests);
            return new(label, () =>
            {
                string cpu = $"CPU{n + 1}";
                foreach (var request in requests)
                {
                    using var held = acquire(request, CancellationToken.None);
                    owners.Enter(cpu, request.Start, request.End, request.Write);
                    seam.Point("critical_section");
                    if (request.Downgrade)
                    {
                        var releaser = (Releaser)held;
                        owners.Leave(cpu);
                        releaser.Held = releaser.Held.Downgrade();
                        owners.Enter(cpu, request.Start, request.End, write: false);
                        seam.Point("critical_section_read");
                    }
                    owners.Leave(cpu);
                }
            });
        }
        return new RunSetup([.. cpus.Select((r, n) => Body(n, r))], owners.Empty);
    }

    private static Request W(long start, long end, bool downgrade = false) => new(start, end, Write: true, downgrade);

    private static Request R(long start, long end) => new(start, end, Write: false);

    /// <summary>The small scenarios: name and each CPU's requests.</summary>
    public static IEnumerable<object[]> Cases()
    {
        foreach (var algorithm in new[] { Algorithm.Fair, Algorithm.List, Algorithm.ListWholeObject })
        {
            yield return [algorithm, "two overlapping writers"];
            yield return [algorithm, "writer between two readers"];
            yield return [algorithm, "disjoint and overlapping, two each"];
            yield return [algorithm, "downgrade lets a reader in"];
        }
    }

    private static Request[][] Requests(string name) => name switch
    {
        "two overlapping writers" => [[W(0, 8)], [W(4, 12)]],
        // Three CPUs: the writer overlaps both readers, the readers overlap each other.
        "writer between two readers" => [[R(0, 8)], [W(4, 12)], [R(6, 16)]],
        // Two CPUs, two requests each: disjoint first, then overlapping in the other order.
        "disjoint and overlapping, two each" => [[W(0, 4), R(8, 12)], [W(8, 12), W(2, 10)]],
        "downgrade lets a reader in" => [[W(0, 8, downgrade: true)], [R(4, 12)], [W(6, 10)]],
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void No_conflicting_holders_coexist_and_nothing_deadlocks(Algorithm algorithm, string name)
    {
        var result = Explorer.Explore(seam => Scenario(seam, Library(NewLock(algorithm, seam)), Requests(name)),
            new ExploreOptions(StrategyKind.Dfs, PreemptionBound: 2));
        output.WriteLine($"{algorithm}, {name}: {result}");
        Assert.True(result.Failures.Count == 0, string.Join("\n\n", result.Failures));
        Assert.True(result.Exhausted, $"{result.Schedules} schedules without exhausting the bound");
    }

    /// <summary>
    /// A waiter that gives up: CPU1 holds write [0, 8); CPU2 waits for write [4, 12) with a token;
    /// CPU3 plays the timer (cancels the token) and then reads [10, 14), which overlaps only CPU2's
    /// request, so under the fair lock it queues behind CPU2 and must get in once CPU2 withdraws.
    /// Cancellation is how a policy models a timeout: the scheduler decides when the timer fires.
    /// </summary>
    [Theory]
    [InlineData(Algorithm.Fair)]
    [InlineData(Algorithm.List)]
    [InlineData(Algorithm.ListWholeObject)]
    public void A_cancelled_waiter_leaves_no_trace(Algorithm algorithm)
    {
        int gaveUp = 0, acquired = 0;
        RunSetup Build(Seam seam)
        {
            var rl = NewLock(algorithm, seam);
            var cts = new CancellationTokenSource();
            var acquire = Library(rl);
            var owners = new Ownership(seam);
            var holder = new CpuBody("CPU1 - write [0, 8)", () =>
            {
                using (acquire(W(0, 8), CancellationToken.None))
                {
                    owners.Enter("CPU1", 0, 8, write: true);
                    seam.Point("critical_section");
                    owners.Leave("CPU1");
                }
            });
            var waiter = new CpuBody("CPU2 - write [4, 12), gives up", () =>
            {
                try
                {
                    using (acquire(W(4, 12), cts.Token))
                    {
                        owners.Enter("CPU2", 4, 12, write: true);
                        seam.Point("critical_section");
                        owners.Leave("CPU2");
                    }
                    Interlocked.Increment(ref acquired);
                }
                catch (OperationCanceledException)
                {
                    seam.Note("gave up");
                    Interlocked.Increment(ref gaveUp);
                }
            });
            var timer = new CpuBody("CPU3 - cancels, then read [10, 14)", () =>
            {
                seam.Point("timer");
                seam.Access(cts.Token, write: true);
                cts.Cancel();
                using (acquire(R(10, 14), CancellationToken.None))
                {
                    owners.Enter("CPU3", 10, 14, write: false);
                    seam.Point("critical_section");
                    owners.Leave("CPU3");
                }
            });
            return new RunSetup([holder, waiter, timer], owners.Empty);
        }
        var result = Explorer.Explore(Build, new ExploreOptions(StrategyKind.Dfs, PreemptionBound: 2));
        output.WriteLine($"{algorithm}: {result}; CPU2 gave up in {gaveUp} runs, acquired in {acquired}");
        Assert.True(result.Failures.Count == 0, string.Join("\n\n", result.Failures));
        Assert.True(result.Exhausted);
        Assert.True(gaveUp > 0 && acquired > 0, "both outcomes of the race between the timer and the grant were explored");
    }

    /// <summary>
    /// The ownership model catches a broken lock: a toy that checks for conflicts, reaches a
    /// scheduling point, then inserts without checking again (the race the list lock's backward
    /// validation closes) lets two writers in together with two preemptions.
    /// </summary>
    [Fact]
    public void A_lock_that_skips_validation_is_caught()
    {
        var result = Explorer.Explore(seam => Scenario(seam, new CheckThenInsertLock(seam).Acquire, [W(0, 8)], [W(4, 12)]),
            new ExploreOptions(StrategyKind.Dfs, PreemptionBound: 2));
        // Either CPU can be the one that finds the other inside: two messages, mirror images.
        Assert.Equal(2, result.Failures.Count);
        foreach (var failure in result.Failures)
        {
            output.WriteLine(failure.ToString());
            Assert.Equal(FailureKind.Exception, failure.Kind);
            Assert.Matches(@"CPU\d holds write \[\d+, \d+\) while CPU\d holds write", failure.Message);
            // One preemption to start the other CPU between the check and the insert, one to come back.
            Assert.Equal(2, failure.Preemptions);
        }
    }

    /// <summary>The broken toy: waits while a conflicting hold exists, then yields before inserting, and never re-checks.</summary>
    private sealed class CheckThenInsertLock(Seam seam)
    {
        private readonly List<Request> held = [];

        public IDisposable Acquire(Request request, CancellationToken ct)
        {
            seam.Point("toy_range_lock");
            seam.Access(held, write: false);
            while (held.Any(h => h.Start < request.End && request.Start < h.End && (h.Write || request.Write)))
                seam.Scheduler!.Block(held, "toy_range_lock");
            // Bug: the check above is stale once another CPU runs here; a correct lock validates again.
            seam.Point("toy_range_lock_insert");
            seam.Access(held, write: true);
            held.Add(request);
            return new Release(() =>
            {
                seam.Access(held, write: true);
                held.Remove(request);
                seam.Scheduler!.Wake(held);
            });
        }

        private sealed class Release(Action release) : IDisposable
        {
            public void Dispose() => release();
        }
    }
}
