using DaxLab.Dax;

namespace DaxLab.Designs;

/// <summary>
/// The landed fix as v4.14 has it: 4 KiB holes are ZERO entries mapping the shared zero page,
/// not page-cache pages, so every hole, 4 KiB or 2 MiB, is a DAX entry with the entry lock; and
/// a store to a page writeback cleaned runs the whole PTE fault (vm_insert_mixed_mkwrite) where
/// v4.12's dax_pfn_mkwrite only re-dirtied the entry. The copy read is 4.14.y, which has the
/// stable backport of 957ac8c421ad: a PMD fault on an empty file gets SIGBUS.
/// </summary>
public sealed class V414 : Design
{
    public override string Name => "v4.14";

    public override string Summary => "v4.12 with common 4 KiB zero-page entries instead of hole pages; pfn_mkwrite runs the whole fault";

    public override string Source => "Ross Zwisler, \"dax: use common 4k zero page for dax mmap reads\" (v4.13), fs/dax.c of v4.14";

    public override DaxPolicy Dax { get; } = DaxPolicy.V412 with
    {
        Holes = HoleRepresentation.ZeroPageEntry,
        PfnMkwrite = PfnMkwrite.FullFault,
        PmdFaultSigBusOnEmptyFile = true,
    };
}
