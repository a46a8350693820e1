using DaxLab.Dax;

namespace DaxLab.Designs;

/// <summary>
/// fs/dax.c as a v6.15-era kernel has it, as a difference from the landed fix: v4.14's common
/// zero page, whole-fault pfn_mkwrite and SIGBUS on empty files; XArray conflict entries
/// (a PMD lookup meeting a PTE entry falls back at once, without waiting for it);
/// __dax_invalidate_entry waking every waiter (237388320def); writeback cleaning every page of
/// an entry in every mapping (06083a0921fd); and truncate, hole punch and
/// zero range breaking layouts first, waiting until no page of the file is pinned (5fac7408d828).
/// The entry-lock-first fault order and the page-table re-checks are v4.12's and still there.
/// </summary>
public sealed class V6 : Design
{
    public override string Name => "v6";

    public override string Summary => "today's fs/dax.c: XArray conflict entries, WAKE_ALL on invalidation, zero-page entries, truncate waits for pinned pages";

    public override string Source => "fs/dax.c of v6.15-rc (torvalds/linux @ 00c010e130e5); dax_layout_busy_page 5fac7408d828 (v4.18), 23c84eb78375, 237388320def, 06083a0921fd";

    public override DaxPolicy Dax { get; } = DaxPolicy.V412 with
    {
        Holes = HoleRepresentation.ZeroPageEntry,
        PfnMkwrite = PfnMkwrite.FullFault,
        PmdFaultSigBusOnEmptyFile = true,
        WriteProtectsEveryPage = true,
        OrderConflicts = OrderConflict.RetryEntry,
        InvalidateWakes = WakeMode.All,
        BreaksLayouts = true,
    };
}
