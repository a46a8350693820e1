using DaxLab.Sync;

namespace DaxLab.Scenarios;

/// <summary>
/// The logical clock that stamps when each scenario operation starts and ends, for the oracles
/// that judge a run by real-time order (<see cref="OpHistory"/>, <see cref="EofSignals"/>): "A
/// ended before B started" is what makes a stale read a bug (the 2017 thread: write(2) returned,
/// then a load through the mapping saw zeros).
/// </summary>
/// <remarks>
/// Every consumer of the stamps compares a start with an end, never two starts or two ends, so
/// the footprint the checker sees keeps exactly those orders: an end of CPU j writes j's own
/// resource, and a start reads the resources of the other CPUs. A start and another CPU's end
/// conflict, and DPOR explores both of their orders; two starts, or two ends, commute, and it
/// does not explore both (one write of a single shared resource per stamp, as before, made every
/// stamp conflict with every other and the search try all their orders for nothing). Equivalent
/// runs then number their stamps differently, so the consumers must depend only on start-vs-end
/// order and on each CPU's own order, which every equivalent run shares; the logs they read are
/// put in a canonical order first (<see cref="OpHistory"/>, <see cref="EofSignals"/>).
/// </remarks>
internal sealed class OperationClock
{
    /// <summary>What a CPU's end stamps are to the checker: one resource per CPU, written only by that CPU.</summary>
    private sealed class EndStamps;

    private readonly Seam seam;
    private readonly EndStamps[] ends = new EndStamps[Scenario.MaxCpus];

    /// <summary>The last stamp given; advanced only with Interlocked (stress runs stamp from real threads).</summary>
    private long now;

    /// <summary>Built with the run's world, before any CPU runs.</summary>
    /// <remarks>
    /// Touching the resources here, in the setup, makes the checker number them alike in every
    /// run, so that footprints of different runs compare them exactly rather than as fresh.
    /// </remarks>
    public OperationClock(Seam seam)
    {
        this.seam = seam;
        for (int cpu = 0; cpu < ends.Length; cpu++)
        {
            ends[cpu] = new EndStamps();
            seam.Access(ends[cpu], write: false);
        }
    }

    /// <summary>
    /// The stamp of an operation of <paramref name="cpu"/> (-1: the setup) that starts now: after
    /// every end stamped before it on another CPU, before every one stamped later.
    /// </summary>
    public long Start(int cpu)
    {
        for (int other = 0; other < ends.Length; other++)
        {
            if (other != cpu)
                seam.Access(ends[other], write: false);
        }
        return Interlocked.Increment(ref now);
    }

    /// <summary>The stamp of an operation of <paramref name="cpu"/> (-1: the setup) that ends now.</summary>
    public long End(int cpu)
    {
        // The setup runs before every CPU and alone: its stamps order nothing the checker reorders.
        if (cpu >= 0)
            seam.Access(ends[cpu], write: true);
        return Interlocked.Increment(ref now);
    }
}
