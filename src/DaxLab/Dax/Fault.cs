using DaxLab.Base;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Dax;

public sealed partial class DaxCore
{
    /// <summary>
    /// dax_iomap_pte_fault: maps one 4 KiB page. Context: mmap_lock and i_mmap_sem held shared.
    /// </summary>
    public VmFault IomapPteFault(in FaultContext vmf)
    {
        Seam.Point("dax_iomap_pte_fault");
        var inode = vmf.Vma.Mapping.Host;
        Seam.Access(inode, write: false);
        if (vmf.Pos >= inode.Size)
        {
            Seam.Note("dax_iomap_pte_fault - beyond EOF: SIGBUS");
            return VmFault.SigBus;
        }
        return LockAndMap<PteLevel>(vmf);
    }

    /// <summary>
    /// ->pfn_mkwrite for DAX: a store to a device page that writeback write-protected. Before
    /// v4.14, dax_pfn_mkwrite only re-dirties the entry under its lock and makes that same PTE
    /// writable (finish_mkwrite_fault); from v4.14 the whole PTE fault runs.
    /// Context: mmap_lock and i_mmap_sem held shared.
    /// </summary>
    public VmFault PfnMkwrite(in FaultContext vmf, Pte pte)
    {
        if (Policy.PfnMkwrite == Dax.PfnMkwrite.FullFault)
            return IomapPteFault(vmf);
        Seam.Point("dax_pfn_mkwrite");
        var mapping = vmf.Vma.Mapping;
        Seam.Access(mapping.Host, write: false);
        if (vmf.Pgoff >= Geometry.PageAlignUp(mapping.Host.Size) >> Geometry.PageShift)
            return VmFault.SigBus;
        mapping.XaLock.Lock();
        var entry = GetUnlockedEntry(mapping, vmf.Pgoff);
        if (!entry.IsMapped)
        {
            PutUnlockedEntry(mapping, vmf.Pgoff, entry);
            mapping.XaLock.Unlock();
            Seam.Note("dax_pfn_mkwrite - no DAX entry, retry");
            return VmFault.NoPage;
        }
        var locked = LockEntry(mapping, vmf.Pgoff, entry.With(DaxEntry.TagDirty));
        mapping.XaLock.Unlock();
        vmf.Vma.FinishMkwrite(vmf.Address, pte);
        Seam.Note($"dax_pfn_mkwrite - dirties {entry.Without(DaxEntry.TagDirty)}, PTE writable");
        UnlockEntry(mapping, vmf.Pgoff, locked);
        return VmFault.NoPage;
    }

    /// <summary>
    /// The ladder both fault handlers climb, written once: the entry lock and ->iomap_begin in
    /// the order of the design in force, the page-table re-check under the entry lock, then the
    /// level's own mapping step. With the entry lock first (the 2017 fix) a write(2) that
    /// allocates the blocks meanwhile must invalidate this range, and its invalidation waits for
    /// our entry lock, then unmaps whatever we mapped; with ->iomap_begin first (v4.10) what the
    /// extent map said can be stale by the time the entry is locked (the 2017 race).
    /// </summary>
    private VmFault LockAndMap<TLevel>(in FaultContext vmf) where TLevel : struct, IFaultLevel
    {
        if (Policy.FaultOrder == FaultOrder.EntryLockFirst)
            return UnderEntryLock<TLevel>(vmf, default, iomapHeld: false);
        if (!TryIomapBegin<TLevel>(vmf, out var iomap))
            return TLevel.WithoutBlocks;
        try
        {
            return UnderEntryLock<TLevel>(vmf, iomap, iomapHeld: true);
        }
        finally
        {
            // Stryker disable once Statement,Block : equivalent, ->iomap_end of a fault only checks invariants, in xfs and in ext4 (docs/checker.md)
            IomapEnd<TLevel>(vmf, iomap);
        }
    }

    /// <summary>
    /// The part of the ladder under the entry lock; asks ->iomap_begin itself unless
    /// <paramref name="iomapHeld"/> says the caller already did.
    /// </summary>
    private VmFault UnderEntryLock<TLevel>(in FaultContext vmf, in Iomap early, bool iomapHeld) where TLevel : struct, IFaultLevel
    {
        var mapping = vmf.Vma.Mapping;
        var entry = GrabMappingEntry(mapping, vmf.Pgoff, TLevel.IsPmd, out bool fallback);
        if (fallback)
            return VmFault.Fallback;
        try
        {
            if (Policy.RechecksPageTableLevel && TLevel.OtherLevelAppeared(this, vmf))
                return VmFault.NoPage;
            if (iomapHeld)
                return TLevel.Map(this, vmf, ref entry, early);
            if (!TryIomapBegin<TLevel>(vmf, out var iomap))
                return TLevel.WithoutBlocks;
            try
            {
                return TLevel.Map(this, vmf, ref entry, iomap);
            }
            finally
            {
                // Stryker disable once Statement,Block : equivalent, ->iomap_end of a fault only checks invariants, in xfs and in ext4 (docs/checker.md)
                IomapEnd<TLevel>(vmf, iomap);
            }
        }
        finally
        {
            UnlockEntry(mapping, vmf.Pgoff, entry);
        }
    }

    /// <summary>
    /// What differs between dax_iomap_pte_fault and dax_iomap_pmd_fault once the ladder is
    /// shared. Static members on structs: the JIT compiles the ladder once per level, so the
    /// fault path pays no virtual call.
    /// </summary>
    private interface IFaultLevel
    {
        static abstract bool IsPmd { get; }

        /// <summary>The bytes one entry of this level maps.</summary>
        static abstract long Size { get; }

        /// <summary>->iomap_begin failed: SIGBUS for a page, fall back to pages for a PMD.</summary>
        static abstract VmFault WithoutBlocks { get; }

        /// <summary>The May 2017 re-check: a fault of the other level mapped here while we waited for the entry lock.</summary>
        static abstract bool OtherLevelAppeared(DaxCore core, in FaultContext vmf);

        /// <summary>The mapping step, under the entry lock and an iomap.</summary>
        static abstract VmFault Map(DaxCore core, in FaultContext vmf, ref DaxEntry entry, in Iomap iomap);
    }

    private readonly struct PteLevel : IFaultLevel
    {
        public static bool IsPmd => false;
        public static long Size => Geometry.PageSize;
        public static VmFault WithoutBlocks => VmFault.SigBus;
        public static bool OtherLevelAppeared(DaxCore core, in FaultContext vmf) => core.HugePmdAppeared(vmf);
        public static VmFault Map(DaxCore core, in FaultContext vmf, ref DaxEntry entry, in Iomap iomap) => core.MapPte(vmf, ref entry, iomap);
    }

    private readonly struct PmdLevel : IFaultLevel
    {
        public static bool IsPmd => true;
        public static long Size => Geometry.PmdSize;
        public static VmFault WithoutBlocks => VmFault.Fallback;
        public static bool OtherLevelAppeared(DaxCore core, in FaultContext vmf) => core.PteTableAppeared(vmf);
        public static VmFault Map(DaxCore core, in FaultContext vmf, ref DaxEntry entry, in Iomap iomap) => core.MapPmd(vmf, ref entry, iomap);
    }

    /// <summary>
    /// A PMD fault on another CPU may have mapped a huge page here while we waited for the
    /// entry lock (private read PMD vs COW PTE): retry, the access may now succeed.
    /// </summary>
    private bool HugePmdAppeared(in FaultContext vmf)
    {
        Seam.Access(vmf.Vma.Ptl, write: false);
        if (!vmf.Vma.ReadPmd(vmf.Address).IsHuge)
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
        long pfn = Geometry.PfnDown(iomap.AddrOf(vmf.Pos));
        FinishSyncFault(vmf);
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeMapped(pfn, pmd: false), dirty: vmf.Write);
        vmf.Vma.SetPte(vmf.Address, Pte.Make(PageKind.Device, pfn, writable: vmf.Write, huge: false), mkwrite: vmf.Write);
        Seam.Note($"dax_iomap_pte_fault - maps pfn {pfn} {(vmf.Write ? "writable" : "read-only")}");
        return VmFault.NoPage;
    }

    /// <summary>
    /// dax_fault_is_synchronous / dax_finish_sync_fault: a write fault on a MAP_SYNC mapping
    /// makes the file's metadata (the allocation just logged, the size) durable before the page
    /// is mapped writable, so no store can land in a block a power failure could unmap
    /// (generic/470). The kernel returns VM_FAULT_NEEDDSYNC and calls vfs_fsync_range after
    /// dropping the entry lock; here the log force runs under it, which the lock order allows
    /// (entry lock → ILOCK → log) and which keeps the spine in one piece.
    /// Context: entry lock held, ILOCK not held.
    /// </summary>
    private void FinishSyncFault(in FaultContext vmf)
    {
        if (!vmf.Write || !vmf.Vma.Sync)
            return;
        Seam.Note("dax_finish_sync_fault - MAP_SYNC write fault: forces the log before mapping");
        Fs.Sync(vmf.Vma.Mapping.Host);
    }

    /// <summary>dax_load_hole: a read of a hole maps zeros read-only, as a hole page or the shared zero page.</summary>
    private VmFault LoadHole(in FaultContext vmf, ref DaxEntry entry)
    {
        if (Policy.Holes == HoleRepresentation.PageCachePage)
            return LoadHolePage(vmf, ref entry);
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeZero(pmd: false), dirty: false);
        vmf.Vma.SetPte(vmf.Address, Pte.Make(PageKind.ZeroPage, 0, writable: false, huge: false), mkwrite: false);
        Seam.Note("dax_load_hole - maps zero page");
        return VmFault.NoPage;
    }

    /// <summary>
    /// dax_load_hole before v4.14: the hole page already in the slot, or a new one that replaces
    /// the locked entry there, is mapped read-only with finish_fault.
    /// </summary>
    private VmFault LoadHolePage(in FaultContext vmf, ref DaxEntry entry)
    {
        if (!entry.IsHolePage && !entry.IsPmd)
            entry = AddHolePage(vmf.Vma.Mapping, vmf.Pgoff, entry);
        vmf.Vma.SetPte(vmf.Address, Pte.Make(PageKind.HolePage, 0, writable: false, huge: false), mkwrite: false);
        Seam.Note("dax_load_hole - maps hole page");
        return VmFault.NoPage;
    }

    /// <summary>A write fault on a private mapping: the page's data (or zeros) goes to a private copy.</summary>
    private unsafe VmFault CowFault(in FaultContext vmf, in Iomap iomap)
    {
        byte* source = iomap.Type == IomapType.Mapped ? Device.Base + iomap.AddrOf(vmf.Pos) : null;
        Seam.AccessMemory(source, source is null ? 0 : Geometry.PageSize, write: false);
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
        if (verdict == VmFault.NoPage)
            verdict = LockAndMap<PmdLevel>(vmf with { Address = pmdAddress, Pgoff = vma.PgoffOf(pmdAddress) });
        // The fallback label: a huge PMD still there (a read-only one a write fault met) is
        // split, which for a file mapping clears it, so the PTE fault that follows finds none.
        if (verdict == VmFault.Fallback)
            vma.SplitHugePmd(pmdAddress);
        return verdict;
    }

    /// <summary>
    /// A PTE fault filled this 2 MiB with a page table while we waited for the entry lock:
    /// retry, and the access will take the PTE path.
    /// </summary>
    private bool PteTableAppeared(in FaultContext huge)
    {
        Seam.Access(huge.Vma.Ptl, write: false);
        if (!huge.Vma.HasPteTable(huge.Address))
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
        long size = vma.Mapping.Host.Size;
        // Before 957ac8c421ad, max_pgoff was (i_size - 1) >> PAGE_SHIFT: for an empty file that
        // is all ones as a pgoff_t, so neither check below fires and the PMD fault goes on.
        if (size == 0 && !Policy.PmdFaultSigBusOnEmptyFile)
            return VmFault.NoPage;
        long maxPgoff = Geometry.PageAlignUp(size) >> Geometry.PageShift;
        if (pgoff >= maxPgoff)
            return VmFault.SigBus;
        if (pgoff + Geometry.PagesPerPmd > maxPgoff)
            return VmFault.Fallback;
        return VmFault.NoPage;
    }

    /// <summary>The part of the PMD fault under the entry lock and an iomap.</summary>
    private VmFault MapPmd(in FaultContext vmf, ref DaxEntry entry, in Iomap iomap)
    {
        // ->iomap_begin's extent starts where the fault asked (->iomap_end asserts it), so, as
        // in dax_iomap_pmd_fault, only where it ends is checked.
        if (iomap.End < vmf.Pos + Geometry.PmdSize)
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
        long pfn = Geometry.PfnDown(address);
        FinishSyncFault(vmf);
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeMapped(pfn, pmd: true), dirty: vmf.Write);
        var pmd = Pte.Make(PageKind.Device, pfn, writable: vmf.Write, huge: true);
        if (Policy.History.HasFlag(HistorySwitches.PmdInsertKeepsPresent))
        {
            // Before 01871e59af5c: a PMD made read-only stays so, and the store faults again.
            // The fault is done either way (VM_FAULT_NOPAGE); only the trace tells which.
            bool installed = vmf.Vma.SetPmdIfNone(vmf.Address, pmd);
            Seam.Note(installed ? $"dax_iomap_pmd_fault - maps 2 MiB at pfn {pfn}" : "insert_pfn_pmd - PMD present, left as it was");
            return VmFault.NoPage;
        }
        vmf.Vma.SetPmd(vmf.Address, pmd);
        Seam.Note($"dax_iomap_pmd_fault - maps 2 MiB at pfn {pfn}");
        return VmFault.NoPage;
    }

    /// <summary>dax_pmd_load_hole: a read of a 2 MiB hole maps the huge zero page.</summary>
    private VmFault LoadHugeHole(in FaultContext vmf, ref DaxEntry entry)
    {
        if (!entry.IsZero && !entry.IsEmpty)
            return VmFault.Fallback;
        entry = InsertEntry(vmf.Vma.Mapping, vmf.Pgoff, entry, DaxEntry.MakeZero(pmd: true), dirty: false);
        if (!vmf.Vma.SetPmdIfNone(vmf.Address, Pte.Make(PageKind.ZeroPage, 0, writable: false, huge: true)))
        {
            Seam.Note("dax_pmd_load_hole - PMD not none, fall back");
            return VmFault.Fallback;
        }
        Seam.Note("dax_pmd_load_hole - maps huge zero page");
        return VmFault.NoPage;
    }

    /// <summary>->iomap_begin for a fault of one level; false when no blocks could be had (ENOSPC, EIO).</summary>
    private bool TryIomapBegin<TLevel>(in FaultContext vmf, out Iomap iomap) where TLevel : struct, IFaultLevel
    {
        Seam.Point("->iomap_begin");
        try
        {
            iomap = Ops.IomapBegin(vmf.Vma.Mapping.Host, vmf.Pos, TLevel.Size, IomapOpOf(vmf));
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

    /// <summary>->iomap_end for a fault of one level: the whole extent asked for counts as used.</summary>
    private void IomapEnd<TLevel>(in FaultContext vmf, in Iomap iomap) where TLevel : struct, IFaultLevel =>
        Ops.IomapEnd(vmf.Vma.Mapping.Host, vmf.Pos, TLevel.Size, TLevel.Size, IomapOpOf(vmf), iomap);

    // Stryker disable all : text for traces and messages, which no engine behaviour reads (docs/checker.md)
    private static string Describe(in Iomap iomap) => iomap.Type switch
    {
        IomapType.Hole => "sees hole",
        IomapType.Unwritten => "sees unwritten extent",
        _ => iomap.IsNew ? "allocates blocks" : "sees blocks",
    };
    // Stryker restore all

    /// <summary>
    /// The fault's ->iomap_begin and ->iomap_end flags, computed once for both, so that
    /// ->iomap_end (which only checks invariants) is told what ->iomap_begin was.
    /// </summary>
    private static IomapOp IomapOpOf(in FaultContext vmf) => (vmf.AllocatesBlocks ? IomapOp.Write : IomapOp.Read) | IomapOp.Fault;
}
