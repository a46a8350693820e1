using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// dax_iomap_pte_fault: maps one 4 KiB page. Context: mmap_lock and i_mmap_sem held shared.
    /// </summary>
    /// <remarks>
    /// The entry lock is taken before ->iomap_begin (the 2017 fix): a write(2) that allocates
    /// the blocks meanwhile must invalidate this range, and its invalidation waits for our
    /// entry lock, then unmaps whatever we mapped.
    /// </remarks>
    public VmFault IomapPteFault(in FaultContext vmf)
    {
        Seam.Point("dax_iomap_pte_fault");
        var vma = vmf.Vma;
        var mapping = vma.Mapping;
        var inode = mapping.Host;
        Seam.Access(inode, write: false);
        if (vmf.Pos >= inode.Size)
        {
            Seam.Note("dax_iomap_pte_fault - beyond EOF: SIGBUS");
            return VmFault.SigBus;
        }
        if (Policy.FaultOrder == FaultOrder.IomapFirst)
            return PteFaultIomapFirst(vmf);
        var entry = GrabMappingEntry(mapping, vmf.Pgoff, pmd: false, out _);
        try
        {
            if (HugePmdAppeared(vmf))
                return VmFault.NoPage;
            if (!TryIomapBegin(inode, vmf.Pos, Geometry.PageSize, vmf.AllocatesBlocks, out var iomap))
                return VmFault.SigBus;
            try
            {
                return MapPte(vmf, ref entry, iomap);
            }
            finally
            {
                Fs.IomapEnd(inode, vmf.Pos, Geometry.PageSize, Geometry.PageSize, IomapOpOf(vmf.AllocatesBlocks), iomap);
            }
        }
        finally
        {
            UnlockEntry(mapping, vmf.Pgoff, entry);
        }
    }

    /// <summary>
    /// The PTE fault in v4.10's order: ->iomap_begin first, the entry lock after. What the
    /// extent map said can be stale by the time the entry is locked (the 2017 race).
    /// </summary>
    private VmFault PteFaultIomapFirst(in FaultContext vmf)
    {
        var mapping = vmf.Vma.Mapping;
        if (!TryIomapBegin(mapping.Host, vmf.Pos, Geometry.PageSize, vmf.AllocatesBlocks, out var iomap))
            return VmFault.SigBus;
        try
        {
            var entry = GrabMappingEntry(mapping, vmf.Pgoff, pmd: false, out _);
            try
            {
                return HugePmdAppeared(vmf) ? VmFault.NoPage : MapPte(vmf, ref entry, iomap);
            }
            finally
            {
                UnlockEntry(mapping, vmf.Pgoff, entry);
            }
        }
        finally
        {
            Fs.IomapEnd(mapping.Host, vmf.Pos, Geometry.PageSize, Geometry.PageSize, IomapOpOf(vmf.AllocatesBlocks), iomap);
        }
    }

    /// <summary>
    /// A PMD fault on another CPU may have mapped a huge page here while we waited for the
    /// entry lock (private read PMD vs COW PTE): retry, the access may now succeed.
    /// </summary>
    private bool HugePmdAppeared(in FaultContext vmf)
    {
        Seam.Access(vmf.Vma.Ptl, write: false);
        if (!Policy.RechecksPageTableLevel || !vmf.Vma.ReadPmd(vmf.Address).IsHuge)
            return false;
        Seam.Note("dax_iomap_pte_fault - huge PMD appeared, retry");
        return true;
    }

    /// <summary>The part of the PTE fault that runs under the entry lock and an iomap.</summary>
    private VmFault MapPte(in FaultContext vmf, ref DaxEntry entry, in Iomap iomap)
    {
        if (vmf.IsCow)
            return CowFault(vmf, iomap);
        if (iomap.Type == IomapType.Mapped)
            return MapDevicePage(vmf, ref entry, iomap);
        if (vmf.Write)
        {
            Seam.Note("dax_iomap_pte_fault - write fault got no blocks: SIGBUS");
            return VmFault.SigBus;
        }
        return LoadHole(vmf, ref entry);
    }

    private VmFault MapDevicePage(in FaultContext vmf, ref DaxEntry entry, in Iomap iomap)
    {
        long pfn = iomap.AddrOf(vmf.Pos) >> Geometry.PageShift;
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeMapped(pfn, pmd: false), dirty: vmf.Write);
        vmf.Vma.SetPte(vmf.Address, Pte.Make(PageKind.Device, pfn, writable: vmf.Write, huge: false), mkwrite: vmf.Write);
        Seam.Note($"dax_iomap_pte_fault - maps pfn {pfn} {(vmf.Write ? "writable" : "read-only")}");
        return VmFault.NoPage;
    }

    /// <summary>dax_load_hole: a read of a hole maps the shared zero page read-only.</summary>
    private VmFault LoadHole(in FaultContext vmf, ref DaxEntry entry)
    {
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeZero(pmd: false), dirty: false);
        vmf.Vma.SetPte(vmf.Address, Pte.Make(PageKind.ZeroPage, 0, writable: false, huge: false), mkwrite: false);
        Seam.Note("dax_load_hole - maps zero page");
        return VmFault.NoPage;
    }

    /// <summary>A write fault on a private mapping: the page's data (or zeros) goes to a private copy.</summary>
    private unsafe VmFault CowFault(in FaultContext vmf, in Iomap iomap)
    {
        Seam.Access(Device, write: false);
        byte* source = iomap.Type == IomapType.Mapped ? Device.Base + iomap.AddrOf(vmf.Pos) : null;
        vmf.Vma.MapPrivateCopy(vmf.Address, Pte.None, VmArea.NewPrivatePage(source));
        Seam.Note("dax_iomap_pte_fault - copies to a private page");
        return VmFault.NoPage;
    }

    /// <summary>
    /// dax_iomap_pmd_fault: maps 2 MiB with one PMD, or answers <see cref="VmFault.Fallback"/>.
    /// Context: mmap_lock and i_mmap_sem held shared.
    /// </summary>
    public VmFault IomapPmdFault(in FaultContext vmf)
    {
        Seam.Point("dax_iomap_pmd_fault");
        var vma = vmf.Vma;
        long pmdAddress = vmf.Address & ~Geometry.PmdMask;
        var verdict = PmdFallbackCheck(vma, pmdAddress, vmf.Write);
        if (verdict != VmFault.NoPage)
            return verdict;
        var huge = vmf with { Address = pmdAddress, Pgoff = vma.PgoffOf(pmdAddress) };
        if (Policy.FaultOrder == FaultOrder.IomapFirst)
            return PmdFaultIomapFirst(huge);
        var entry = GrabMappingEntry(vma.Mapping, huge.Pgoff, pmd: true, out bool fallback);
        if (fallback)
            return VmFault.Fallback;
        try
        {
            if (PteTableAppeared(huge))
                return VmFault.NoPage;
            if (!TryIomapBegin(vma.Mapping.Host, huge.Pos, Geometry.PmdSize, huge.AllocatesBlocks, out var iomap))
                return VmFault.Fallback;
            try
            {
                return MapPmd(huge, ref entry, iomap);
            }
            finally
            {
                Fs.IomapEnd(vma.Mapping.Host, huge.Pos, Geometry.PmdSize, Geometry.PmdSize, IomapOpOf(huge.AllocatesBlocks), iomap);
            }
        }
        finally
        {
            UnlockEntry(vma.Mapping, huge.Pgoff, entry);
        }
    }

    /// <summary>The PMD fault in v4.10's order: ->iomap_begin first, then the entry lock.</summary>
    private VmFault PmdFaultIomapFirst(in FaultContext huge)
    {
        var mapping = huge.Vma.Mapping;
        if (!TryIomapBegin(mapping.Host, huge.Pos, Geometry.PmdSize, huge.AllocatesBlocks, out var iomap))
            return VmFault.Fallback;
        try
        {
            var entry = GrabMappingEntry(mapping, huge.Pgoff, pmd: true, out bool fallback);
            if (fallback)
                return VmFault.Fallback;
            try
            {
                return PteTableAppeared(huge) ? VmFault.NoPage : MapPmd(huge, ref entry, iomap);
            }
            finally
            {
                UnlockEntry(mapping, huge.Pgoff, entry);
            }
        }
        finally
        {
            Fs.IomapEnd(mapping.Host, huge.Pos, Geometry.PmdSize, Geometry.PmdSize, IomapOpOf(huge.AllocatesBlocks), iomap);
        }
    }

    /// <summary>
    /// A PTE fault filled this 2 MiB with a page table while we waited for the entry lock:
    /// retry, and the access will take the PTE path.
    /// </summary>
    private bool PteTableAppeared(in FaultContext huge)
    {
        Seam.Access(huge.Vma.Ptl, write: false);
        if (!Policy.RechecksPageTableLevel || !huge.Vma.HasPteTable(huge.Address))
            return false;
        Seam.Note("dax_iomap_pmd_fault - PTE table appeared, retry");
        return true;
    }

    /// <summary>
    /// Why a PMD cannot serve this fault: unequal 2 MiB alignment of address and offset, a
    /// copy-on-write, a 2 MiB range not inside the mapping or crossing EOF (SIGBUS past EOF).
    /// <see cref="VmFault.NoPage"/> means go ahead.
    /// </summary>
    private VmFault PmdFallbackCheck(VmArea vma, long pmdAddress, bool write)
    {
        if (pmdAddress < vma.Start || pmdAddress + Geometry.PmdSize > vma.End)
            return VmFault.Fallback;
        long pgoff = vma.PgoffOf(pmdAddress);
        if ((pgoff & (Geometry.PagesPerPmd - 1)) != ((pmdAddress >> Geometry.PageShift) & (Geometry.PagesPerPmd - 1)))
            return VmFault.Fallback;
        if (write && !vma.Shared)
            return VmFault.Fallback;
        Seam.Access(vma.Mapping.Host, write: false);
        long maxPgoff = Geometry.PageAlignUp(vma.Mapping.Host.Size) >> Geometry.PageShift;
        if (pgoff >= maxPgoff)
            return VmFault.SigBus;
        if (pgoff + Geometry.PagesPerPmd > maxPgoff)
            return VmFault.Fallback;
        return VmFault.NoPage;
    }

    /// <summary>The part of the PMD fault under the entry lock and an iomap.</summary>
    private VmFault MapPmd(in FaultContext vmf, ref DaxEntry entry, in Iomap iomap)
    {
        if (iomap.Offset > vmf.Pos || iomap.End < vmf.Pos + Geometry.PmdSize)
        {
            Seam.Note("dax_iomap_pmd_fault - extent shorter than 2 MiB, fall back");
            return VmFault.Fallback;
        }
        if (iomap.Type == IomapType.Mapped)
            return MapDevicePmd(vmf, ref entry, iomap);
        if (vmf.Write)
            return VmFault.Fallback;
        return LoadHugeHole(vmf, ref entry);
    }

    private VmFault MapDevicePmd(in FaultContext vmf, ref DaxEntry entry, in Iomap iomap)
    {
        long address = iomap.AddrOf(vmf.Pos);
        if ((address & Geometry.PmdMask) != 0)
        {
            Seam.Note("dax_iomap_pmd_fault - blocks not 2 MiB-aligned, fall back");
            return VmFault.Fallback;
        }
        long pfn = address >> Geometry.PageShift;
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeMapped(pfn, pmd: true), dirty: vmf.Write);
        if (!vmf.Vma.SetPmd(vmf.Address, Pte.Make(PageKind.Device, pfn, writable: vmf.Write, huge: true), mkwrite: vmf.Write))
            return VmFault.Fallback;
        Seam.Note($"dax_iomap_pmd_fault - maps 2 MiB at pfn {pfn}");
        return VmFault.NoPage;
    }

    /// <summary>dax_pmd_load_hole: a read of a 2 MiB hole maps the huge zero page.</summary>
    private VmFault LoadHugeHole(in FaultContext vmf, ref DaxEntry entry)
    {
        if (!entry.IsZero && !entry.IsEmpty)
            return VmFault.Fallback;
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeZero(pmd: true), dirty: false);
        if (!vmf.Vma.SetPmd(vmf.Address, Pte.Make(PageKind.ZeroPage, 0, writable: false, huge: true), mkwrite: false))
            return VmFault.Fallback;
        Seam.Note("dax_pmd_load_hole - maps huge zero page");
        return VmFault.NoPage;
    }

    /// <summary>->iomap_begin for a fault; false when no blocks could be had (ENOSPC, EIO).</summary>
    private bool TryIomapBegin(Inode inode, long pos, long length, bool write, out Iomap iomap)
    {
        Seam.Point("->iomap_begin");
        try
        {
            iomap = Fs.IomapBegin(inode, pos, length, IomapOpOf(write) | IomapOp.Fault);
        }
        catch (ErrnoException)
        {
            iomap = default;
            Seam.Note("->iomap_begin - fails");
            return false;
        }
        if (Seam.Tracing)
            Seam.Note("->iomap_begin - " + Describe(iomap));
        return true;
    }

    private static string Describe(in Iomap iomap) => iomap.Type switch
    {
        IomapType.Hole => "sees hole",
        IomapType.Unwritten => "sees unwritten extent",
        _ => iomap.IsNew ? "allocates blocks" : "sees blocks",
    };

    private static IomapOp IomapOpOf(bool write) => write ? IomapOp.Write : IomapOp.Read;
}
