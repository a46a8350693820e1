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
    private sealed class Ownership
    {
        public readonly List<(string Cpu, long Start, long End, bool Write)> Holds = [];

        public override string ToString() => "ownership model";
    }

    public enum Algorithm { Fair, List, ListWholeObject }

    private static RangeLock NewLock(Algorithm algorithm, Seam seam)
    {
        var parking = seam.NewRangeLockParking("rl");
        return algorithm switch
        {
            Algorithm.Fair => new FairRangeLock(parking),
            Algorithm.List => new ListRangeLock(parking: parking),
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
        var owners = new Ownership();
        void Enter(string cpu, long start, long end, bool write)
        {
            seam.Access(owners, write: true);
            foreach (var h in owners.Holds)
            {
                if (h.Start < end && start < h.End && (h.Write || write))
                    throw new InvalidOperationException(
                        $"{cpu} holds {(write ? "write" : "read")} [{start}, {end}) while {h.Cpu} holds {(h.Write ? "write" : "read")} [{h.Start}, {h.End})");
            }
            owners.Holds.Add((cpu, start, end, write));
            seam.Note($"holds {(write ? "write" : "read")} [{start}, {end})");
        }
        void Leave(string cpu)
        {
            seam.Access(owners, write: true);
            owners.Holds.RemoveAll(h => h.Cpu == cpu);
        }
        CpuBody Body(int n, Request[] requests)
        {
            string label = $"CPU{n + 1} - " + string.Join(", ", requests);
            return new(label, () =>
            {
                string cpu = $"CPU{n + 1}";
                foreach (var request in requests)
                {
                    using var held = acquire(request, CancellationToken.None);
                    Enter(cpu, request.Start, request.End, request.Write);
                    seam.Point("critical_section");
                    if (request.Downgrade)
                    {
                        var releaser = (Releaser)held;
                        Leave(cpu);
                        releaser.Held = releaser.Held.Downgrade();
                        Enter(cpu, request.Start, request.End, write: false);
                        seam.Point("critical_section_read");
                    }
                    Leave(cpu);
                }
            });
        }
        return new RunSetup([.. cpus.Select((r, n) => Body(n, r))],
            () => owners.Holds.Count == 0 ? null : $"{owners.Holds.Count} holds left in the ownership model");
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
}
