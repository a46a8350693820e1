using System.Runtime.CompilerServices;
using DaxLab.Base;
using DaxLab.RangeLocks;

namespace DaxLab.Sync;

/// <summary>
/// The one synchronization seam. Every kernel-style primitive of an engine instance is created
/// from its seam, and every scheduling point goes through it, so the same engine code runs on
/// real threads (<see cref="RealThreads"/>) or under a deterministic scheduler.
/// </summary>
/// <remarks>
/// On real threads <see cref="Scheduler"/> is null: a scheduling point is one predictable
/// branch on a field, and primitives take their host fast paths.
/// </remarks>
public sealed class Seam
{
    /// <summary>The seam for real threads: no scheduler, host primitives.</summary>
    public static readonly Seam RealThreads = new(null);

    /// <summary>
    /// True in a build with the seam compiled out (<c>dotnet build -c ReleaseNoSeam</c>, which
    /// defines DAXLAB_NO_SEAM): every scheduling point, note and access declaration is empty and
    /// every primitive takes its host path unconditionally. Such a build exists only to measure
    /// what the seam costs (<c>daxlab bench</c>); it cannot run the checker.
    /// </summary>
#if DAXLAB_NO_SEAM
    public const bool CompiledOut = true;
#else
    public const bool CompiledOut = false;
#endif

    public Seam(IScheduler? scheduler)
    {
        if (CompiledOut && scheduler is not null)
            throw new InvalidOperationException("this build has the seam compiled out (ReleaseNoSeam); the checker needs a Release or Debug build");
        Scheduler = scheduler;
    }

    /// <summary>The deterministic scheduler, or null on real threads.</summary>
    public IScheduler? Scheduler { get; }

    /// <summary>True when a scheduler wants notes; guard costly note formatting with it.</summary>
    public bool Tracing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => !CompiledOut && Scheduler is not null;
    }

    /// <summary>A place where the kernel could be preempted, named for its function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Point(string kernelFunction)
    {
        if (!CompiledOut)
            Scheduler?.Reschedule(kernelFunction);
    }

    /// <summary>Records what the running CPU saw or did (a line of a race diagram).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Note(string what)
    {
        if (!CompiledOut)
            Scheduler?.Note(what);
    }

    /// <summary>
    /// A note built from an interpolated string: formatted only when a scheduler listens, so on
    /// real threads a note costs one branch and no allocation.
    /// </summary>
    public void Note([InterpolatedStringHandlerArgument("")] ref NoteBuilder what)
    {
        if (what.Enabled)
            Scheduler!.Note(what.ToStringAndClear());
    }

    /// <summary>Declares shared data the current step touches without a lock (see <see cref="IScheduler.Access"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Access(object resource, bool write)
    {
        if (!CompiledOut)
            Scheduler?.Access(resource, write);
    }

    /// <summary>
    /// lock_acquire for a lock that is not a seam primitive (a bit in an index entry, a
    /// DaxLab.RangeLocks lock): see <see cref="IScheduler.LockAcquire"/>. Callers that would box
    /// or allocate an <paramref name="instance"/> for it guard the call with <see cref="Tracing"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LockAcquire(object instance, LockClass lockClass, LockUse use, string point, object? dropping = null)
    {
        if (!CompiledOut)
            Scheduler?.LockAcquire(instance, lockClass, use, point, dropping);
    }

    /// <summary>lock_release for a lock announced with <see cref="LockAcquire"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LockRelease(object instance)
    {
        if (!CompiledOut)
            Scheduler?.LockRelease(instance);
    }

    /// <summary>
    /// Declares memory the current step reads or writes without a lock (device memory, a private
    /// page, a user buffer), page by page: each 4 KiB page is its own resource, named by its
    /// address, so steps on different pages of the device are independent for the checker.
    /// </summary>
    public unsafe void AccessMemory(void* address, long length, bool write)
    {
        if (!Tracing || length <= 0)
            return;
        long first = (long)address >> Geometry.PageShift;
        long last = ((long)address + length - 1) >> Geometry.PageShift;
        for (long page = first; page <= last; page++)
            Scheduler!.Access(new MemoryPage(page), write);
    }

    /// <summary><see cref="AccessMemory(void*, long, bool)"/> of a span.</summary>
    public unsafe void AccessMemory(ReadOnlySpan<byte> memory, bool write)
    {
        fixed (byte* address = memory)
            AccessMemory(address, memory.Length, write);
    }

    /// <summary>A page of memory as a checker resource: its address shifted by the page size.</summary>
    private readonly record struct MemoryPage(long Frame);

    /// <summary>
    /// <paramref name="resource"/> as the resource of the same page in a copy of the memory
    /// [<paramref name="from"/>, + <paramref name="length"/>) at <paramref name="to"/> (a device
    /// copied from a setup snapshot), or null when it is not a page of that memory.
    /// </summary>
    internal static unsafe object? RelocatedPage(object resource, byte* from, byte* to, long length)
    {
        if (resource is not MemoryPage page)
            return null;
        long first = (long)from >> Geometry.PageShift;
        if (page.Frame < first || page.Frame >= first + (length >> Geometry.PageShift))
            return null;
        return new MemoryPage(page.Frame - first + ((long)to >> Geometry.PageShift));
    }

    public Spinlock NewSpinLock(string name) => new(this, name);

    public RwSemaphore NewRwSemaphore(string name) => new(this, name);

    public WaitQueueTable NewWaitQueueTable(int bucketCount) => new(this, bucketCount);

    /// <summary>A jbd2 journal whose transactions hold at most <paramref name="maxCredits"/> credits.</summary>
    public Journal NewJournal(string name, int maxCredits) => new(this, name, maxCredits);

    /// <summary>
    /// The waiting policy for a DaxLab.RangeLocks lock named <paramref name="name"/>: null on real
    /// threads (the lock's own host waits, unchanged), the scheduler adapter under a scheduler.
    /// </summary>
    public IRangeLockParking? NewRangeLockParking(string name) =>
        Scheduler is null ? null : new SchedulerParking(Scheduler, name);
}

/// <summary>Builds a <see cref="Seam.Note(ref NoteBuilder)"/> text only when the seam is tracing.</summary>
[InterpolatedStringHandler]
public ref struct NoteBuilder
{
    private DefaultInterpolatedStringHandler text;

    public NoteBuilder(int literalLength, int formattedCount, Seam seam, out bool enabled)
    {
        Enabled = enabled = seam.Tracing;
        text = enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public bool Enabled { get; }

    public void AppendLiteral(string literal) => text.AppendLiteral(literal);

    public void AppendFormatted<T>(T value) => text.AppendFormatted(value);

    public string ToStringAndClear() => text.ToStringAndClear();
}
