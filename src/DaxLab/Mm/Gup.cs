using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Mm;

/// <summary>
/// mm/gup.c for a DMA into a DAX mapping: pin_user_pages with FOLL_WRITE, the way O_DIRECT
/// and RDMA take the pages of a user buffer.
/// </summary>
public static class Gup
{
    /// <summary>
    /// Pins every page of mapping bytes [offset, offset + length) for writing and returns their
    /// device page frames (a page that is not a device page, a private copy, is not counted).
    /// Each page is looked up under the ptl and pinned in the same hold (follow_page_mask and
    /// try_grab_folio), so a truncate that unmaps the page either sees the pin or makes the
    /// lookup miss; a miss faults the page in (write fault, as FOLL_WRITE asks) and looks again.
    /// A range outside the mapping, a mapping without PROT_WRITE, or a fault that would raise a
    /// signal is EFAULT, with the pins taken so far dropped. Context: takes mmap_lock shared
    /// inside each fault.
    /// </summary>
    public static List<long> PinUserPages(VmArea vma, PageRefs refs, long offset, long length)
    {
        if (offset < 0 || length <= 0 || offset + length > vma.Length || (vma.Protection & MapProtection.Write) == 0)
            throw new ErrnoException(Errno.EFAULT, "pin_user_pages: range outside the mapping, or the mapping is not writable");
        var pinned = new List<long>();
        long end = offset + length;
        try
        {
            for (long page = Geometry.PageAlignDown(offset); page < end; page += Geometry.PageSize)
            {
                long pfn = PinOne(vma, refs, vma.Start + page);
                if (pfn >= 0)
                    pinned.Add(pfn);
            }
        }
        catch (Exception signal) when (signal is SigBusException or SigSegvException)
        {
            pinned.ForEach(refs.Unpin);
            throw new ErrnoException(Errno.EFAULT, "pin_user_pages: " + signal.Message);
        }
        return pinned;
    }

    /// <summary>One page: follow, pin, or fault and follow again.</summary>
    private static long PinOne(VmArea vma, PageRefs refs, long address)
    {
        for (int attempt = 0; attempt < Memory.MaxFaultRetries; attempt++)
        {
            if (TryPin(vma, refs, address, out long pfn))
                return pfn;
            Memory.HandleMmFault(vma, vma.Seam, address, write: true);
        }
        throw new InvalidOperationException($"livelock: get_user_pages at 0x{address:x} faulted {Memory.MaxFaultRetries} times without a writable page");
    }

    /// <summary>
    /// follow_page_mask under the ptl (taking it is the scheduling point): a present, writable translation is pinned (its device
    /// page frame returned, or -1 for a private page); false sends the caller to the fault path.
    /// </summary>
    private static bool TryPin(VmArea vma, PageRefs refs, long address, out long pfn)
    {
        using var ptl = vma.Ptl.Hold();
        var pmd = vma.ReadPmd(address);
        var pte = pmd.IsHuge ? pmd : vma.ReadPte(address);
        pfn = -1;
        if (!pte.IsPresent || !pte.IsWritable)
            return false;
        if (pte.Kind != PageKind.Device)
            return true;
        pfn = pte.Frame + (pte.IsHuge ? (address & Geometry.PmdMask) >> Geometry.PageShift : 0);
        refs.Pin(pfn);
        vma.Seam.Note($"get_user_pages - pins device page {pfn}");
        return true;
    }
}
