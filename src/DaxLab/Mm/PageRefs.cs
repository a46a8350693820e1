using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Mm;

/// <summary>
/// The references on device pages that are not mappings: what get_user_pages (FOLL_PIN) adds
/// for a DMA into a DAX mapping, and unpin_user_page drops. A DAX page is a block of the file,
/// so a pinned page is a block a device may still write to, whatever the file does meanwhile.
/// </summary>
/// <remarks>
/// The kernel keeps the count in struct page (_refcount minus mapcount: dax_busy_page); only
/// pins are modelled here, since mappings are in the page tables. A waiter for a page to go
/// idle sleeps as wait_var_event does, on a hashed table of its own (the kernel's
/// bit_wait_table, 256 queues), keyed by the page.
/// Lock rules: <see cref="gate"/> guards <see cref="pins"/> and <see cref="freedWhilePinned"/>; a
/// leaf, never held across a sleep. Under the checker each page's count is its own resource.
/// </remarks>
public sealed class PageRefs(Seam seam)
{
    /// <summary>WAIT_TABLE_BITS 8: the size of the kernel's shared table of variable waits.</summary>
    public const int VarWaitTableEntries = 256;

    private readonly Dictionary<long, int> pins = [];
    private readonly List<string> freedWhilePinned = [];
    private readonly Lock gate = new();
    private readonly WaitQueueTable varWaits = seam.NewWaitQueueTable(VarWaitTableEntries);

    /// <summary>try_grab_folio(FOLL_PIN): one more pin on device page <paramref name="pfn"/>. Context: the ptl that maps it held.</summary>
    public void Pin(long pfn)
    {
        seam.Access(new PageRef(pfn), write: true);
        lock (gate)
            pins[pfn] = pins.GetValueOrDefault(pfn) + 1;
    }

    /// <summary>
    /// unpin_user_page: drops one pin; the last one wakes whoever waits for the page to go idle
    /// (the page-free path's wake_up_var, 5fac7408d828).
    /// </summary>
    public void Unpin(long pfn)
    {
        seam.Point("unpin_user_page");
        seam.Access(new PageRef(pfn), write: true);
        bool idle;
        lock (gate)
        {
            int left = pins.GetValueOrDefault(pfn) - 1;
            Invariant.Holds(left >= 0, $"unpin of device page {pfn}, which is not pinned");
            if (left == 0)
                pins.Remove(pfn);
            else
                pins[pfn] = left;
            idle = left == 0;
        }
        if (idle)
            varWaits.Wake(new WaitKey(this, pfn), all: true);
    }

    /// <summary>dax_busy_page for the <paramref name="count"/> pages from <paramref name="pfn"/>: the first pinned one, or -1.</summary>
    public long FirstPinned(long pfn, long count)
    {
        for (long page = pfn; page < pfn + count; page++)
        {
            seam.Access(new PageRef(page), write: false);
            lock (gate)
            {
                if (pins.ContainsKey(page))
                    return page;
            }
        }
        return -1;
    }

    /// <summary>
    /// ___wait_var_event(page, dax_page_is_idle(page), cmd): sleeps until <paramref name="pfn"/>
    /// has no pin. <paramref name="unlock"/> and <paramref name="relock"/> are the file system's
    /// callback around the sleep (xfs_wait_dax_page drops MMAPLOCK and takes it again), so the
    /// pin's owner can fault while the truncate waits. The waiter is queued before the count is
    /// read, so an unpin between the read and the sleep wakes it.
    /// </summary>
    public void WaitIdle(long pfn, Action unlock, Action relock)
    {
        var key = new WaitKey(this, pfn);
        while (true)
        {
            var waiter = varWaits.Prepare(key, exclusive: false);
            if (FirstPinned(pfn, 1) < 0)
            {
                varWaits.Finish(waiter);
                return;
            }
            unlock();
            varWaits.Sleep(waiter, "wait_var_event");
            relock();
        }
    }

    /// <summary>
    /// Records the use after free the kernel warns of in dax_disassociate_entry (from 4.18 until the 2025 folio rework:
    /// WARN_ON_ONCE(trunc &amp;&amp; page_ref_count(page) &gt; 1)): truncate dropped the entry of
    /// pinned pages, whose blocks are then freed while a DMA may write to them.
    /// </summary>
    public void CheckNotPinnedOnTruncate(long pfn, long count, long index)
    {
        long pinned = FirstPinned(pfn, count);
        if (pinned < 0)
            return;
        seam.Note($"truncate drops the entry of pinned page {pinned}");
        lock (gate)
            freedWhilePinned.Add($"truncate dropped the entry at file offset {index << Geometry.PageShift} while device page {pinned} was pinned (get_user_pages): its block is freed under a DMA");
    }

    /// <summary>The truncates that dropped pinned pages, in words, for the oracle.</summary>
    public IReadOnlyList<string> FreedWhilePinned
    {
        get
        {
            lock (gate)
                return [.. freedWhilePinned];
        }
    }

    /// <summary>A constant: the var-wait keys must hash alike in every run of a schedule, as an address space's do.</summary>
    public override int GetHashCode() => VarWaitTableEntries;

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <summary>One page's reference count as a checker resource.</summary>
    private readonly record struct PageRef(long Pfn);
}
