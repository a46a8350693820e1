using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Mm;

/// <summary>
/// mm/memory.c: loads and stores through a mapping's page table, and handle_mm_fault.
/// </summary>
public static unsafe class Memory
{
    /// <summary>
    /// How many times in a row one access may fault and still miss before the model calls it a
    /// livelock: each retry means another CPU changed the page table in between, so a
    /// legitimate run needs a handful.
    /// </summary>
    public const int MaxFaultRetries = 100_000;

    /// <summary>A load of <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> into the mapping.</summary>
    public static void Load(VmArea vma, Seam seam, long offset, Span<byte> buffer)
    {
        CheckAccess(vma, offset, buffer.Length, write: false);
        fixed (byte* destination = buffer)
            Copy(vma, seam, offset, destination, buffer.Length, write: false);
    }

    /// <summary>A store of <paramref name="buffer"/> at <paramref name="offset"/> into the mapping.</summary>
    public static void Store(VmArea vma, Seam seam, long offset, ReadOnlySpan<byte> buffer)
    {
        CheckAccess(vma, offset, buffer.Length, write: true);
        fixed (byte* source = buffer)
            Copy(vma, seam, offset, source, buffer.Length, write: true);
    }

    private static void CheckAccess(VmArea vma, long offset, int length, bool write)
    {
        if (offset < 0 || length < 0 || offset + length > vma.Length)
            throw new SigSegvException($"access at mapping offset {offset} length {length} outside the {vma.Length}-byte mapping");
        var needed = write ? MapProtection.Write : MapProtection.Read | MapProtection.Write | MapProtection.Exec;
        if ((vma.Protection & needed) == 0)
            throw new SigSegvException(write ? "store to a mapping without PROT_WRITE" : "load from a mapping without PROT_READ");
    }

    /// <summary>Copies page by page; each page is one access, faulting until its translation exists.</summary>
    private static void Copy(VmArea vma, Seam seam, long offset, byte* user, int length, bool write)
    {
        int done = 0;
        while (done < length)
        {
            long address = vma.Start + offset + done;
            int chunk = (int)Math.Min(length - done, Geometry.PageSize - (address & Geometry.PageMask));
            seam.Point(write ? "store" : "load");
            AccessPage(vma, seam, address, user + done, chunk, write);
            done += chunk;
        }
    }

    private static void AccessPage(VmArea vma, Seam seam, long address, byte* user, int chunk, bool write)
    {
        for (int attempt = 0; attempt < MaxFaultRetries; attempt++)
        {
            // Declared per attempt: a retry runs in the step that ended the fault before it.
            seam.Access(vma.Ptl, write: false);
            seam.Access(vma.Device, write);
            var cpu = Tlb.BeginAccess();
            byte* target = vma.Translate(address, write);
            if (target is not null)
            {
                if (write)
                    Buffer.MemoryCopy(user, target, chunk, chunk);
                else
                    Buffer.MemoryCopy(target, user, chunk, chunk);
                Tlb.EndAccess(cpu);
                return;
            }
            Tlb.EndAccess(cpu);
            HandleMmFault(vma, seam, address, write);
        }
        throw new InvalidOperationException($"livelock: the access at 0x{address:x} faulted {MaxFaultRetries} times without a usable translation");
    }

    /// <summary>
    /// handle_mm_fault: tries a PMD first where the PMD slot is empty, handles write faults on
    /// read-only entries (dirty tracking for shared mappings, copy-on-write for private ones),
    /// then faults a PTE. Throws <see cref="SigBusException"/> or <see cref="SigSegvException"/>.
    /// Context: no locks held; takes mmap_lock shared.
    /// </summary>
    public static void HandleMmFault(VmArea vma, Seam seam, long address, bool write)
    {
        using var mmapLock = vma.MmapLock.Read();
        if (vma.Unmapped)
            throw new SigSegvException($"access at 0x{address:x} after munmap");
        seam.Point("handle_mm_fault");
        // The walk below reads the page table without the ptl, as the fault handler does.
        seam.Access(vma.Ptl, write: false);
        var vmf = new FaultContext(vma, address, vma.PgoffOf(address), write);
        if (!HandlePmdLevel(vmf))
            return;
        HandlePteLevel(vmf);
    }

    /// <summary>The PMD half of __handle_mm_fault; false when the fault is handled (or must retry).</summary>
    private static bool HandlePmdLevel(in FaultContext vmf)
    {
        var vma = vmf.Vma;
        var pmd = vma.ReadPmd(vmf.Address);
        if (pmd.IsNone)
            return Continue(vma.Ops.Fault(vmf, PageEntrySize.Pmd), vmf);
        if (!pmd.IsHuge)
            return true;
        if (!vmf.Write || pmd.IsWritable)
            return false;
        // wp_huge_pmd: the file's huge fault handler, which on a fallback (always, for a private
        // mapping: copy-on-write is done with pages) has split the PMD; the PTE fault goes next.
        return Continue(vma.Ops.Fault(vmf, PageEntrySize.Pmd), vmf);
    }

    /// <summary>True to go on to the PTE level (the handler fell back); throws on SIGBUS.</summary>
    private static bool Continue(VmFault result, in FaultContext vmf) => result switch
    {
        VmFault.Fallback => true,
        VmFault.SigBus => throw new SigBusException($"fault at file offset {vmf.Pos} beyond EOF or without blocks"),
        _ => false,
    };

    /// <summary>
    /// handle_pte_fault: a missing PTE faults in; a read-only one takes a write fault. A huge
    /// PMD that another CPU mapped since the PMD level was looked at ends the fault
    /// (<c>pmd_devmap || pmd_trans_unstable</c>: return 0), and the access retries.
    /// </summary>
    private static void HandlePteLevel(in FaultContext vmf)
    {
        var vma = vmf.Vma;
        // After a PMD fallback these reads run in the PMD handler's last step.
        vma.Seam.Access(vma.Ptl, write: false);
        if (vma.ReadPmd(vmf.Address).IsHuge)
            return;
        var pte = vma.ReadPte(vmf.Address);
        if (pte.IsNone || (vmf.Write && !pte.IsWritable && vma.Shared))
        {
            Continue(vma.Ops.Fault(vmf, PageEntrySize.Pte), vmf);
            return;
        }
        if (vmf.Write && !pte.IsWritable)
            WpPageCopy(vmf, pte);
    }

    /// <summary>
    /// wp_page_copy: a store to a read-only page of a private mapping copies it (device page or
    /// zero page) into a private page. The copy is one access, so a racing truncate either
    /// waits for it or is seen as a changed PTE.
    /// </summary>
    private static void WpPageCopy(in FaultContext vmf, Pte expected)
    {
        var vma = vmf.Vma;
        vma.Seam.Access(vma.Device, write: false);
        byte* page;
        var cpu = Tlb.BeginAccess();
        try
        {
            if (vma.ReadPte(vmf.Address) != expected)
                return;
            page = VmArea.NewPrivatePage(expected.Kind is PageKind.ZeroPage or PageKind.HolePage ? null : vma.PageAddress(expected, vmf.Address));
        }
        finally
        {
            Tlb.EndAccess(cpu);
        }
        vma.MapPrivateCopy(vmf.Address, expected, page);
    }
}
