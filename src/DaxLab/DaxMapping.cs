using DaxLab.Base;
using DaxLab.Mm;
using DaxLab.Vfs;

namespace DaxLab;

/// <summary>A user mapping of a file (a VMA with its own page table). Offsets are relative to the mapping's start.</summary>
public sealed class DaxMapping : IDisposable
{
    private readonly DaxInode inode;
    private readonly VmArea vma;

    internal DaxMapping(DaxInode inode, VmArea vma)
    {
        this.inode = inode;
        this.vma = vma;
    }

    internal VmArea Vma => vma;

    public long FileOffset => vma.Pgoff << Geometry.PageShift;

    public long Length => vma.Length;

    public MapProtection Protection => vma.Protection;

    public MapSharing Sharing => vma.Sync ? MapSharing.SharedSync : vma.Shared ? MapSharing.Shared : MapSharing.Private;

    /// <summary>The virtual address the mapping starts at (congruent to its file offset modulo 2 MiB).</summary>
    public long Address => vma.Start;

    /// <summary>Loads through the page table, faulting as needed. <see cref="SigBusException"/> past EOF.</summary>
    public void Load(long offset, Span<byte> buffer) => Memory.Load(vma, vma.Seam, offset, buffer);

    /// <summary>Stores through the page table, faulting as needed. <see cref="SigSegvException"/> without PROT_WRITE.</summary>
    public void Store(long offset, ReadOnlySpan<byte> buffer) => Memory.Store(vma, vma.Seam, offset, buffer);

    /// <summary>
    /// libpmem's pmem_persist from user space: clwb of each cache line of [offset, offset +
    /// length) that the page table maps to the device, then sfence; no system call. Only on a
    /// <see cref="MapSharing.SharedSync"/> mapping does that make the stores durable for good:
    /// elsewhere the block's allocation may still be only in the log's unflushed tail.
    /// </summary>
    public void Persist(long offset, long length) => Memory.Persist(vma, offset, length);

    /// <summary>msync(2) of [offset, offset + length) of the mapping.</summary>
    public void Sync(long offset, long length, MsyncFlags flags) => MmapOps.Msync(inode, vma, offset, length, flags);

    /// <summary>madvise(2).</summary>
    public void Advise(long offset, long length, MapAdvice advice) => MmapOps.MadviseDontNeed(vma, offset, length);

    /// <summary>
    /// pin_user_pages(FOLL_WRITE) over [offset, offset + length) of the mapping, as a driver
    /// does for a DMA into a user buffer (O_DIRECT, RDMA): faults the pages in for writing and
    /// pins the device pages behind them until the returned pins are released. EFAULT (an
    /// <see cref="ErrnoException"/>) where a store could not fault.
    /// </summary>
    public DaxPins Pin(long offset, long length) => new(inode.Core.Pages, Gup.PinUserPages(vma, inode.Core.Pages, offset, length));

    /// <summary>munmap(2).</summary>
    public void Dispose() => MmapOps.Munmap(vma);
}

/// <summary>Pages pinned by <see cref="DaxMapping.Pin"/>; <see cref="Dispose"/> is unpin_user_pages.</summary>
public sealed class DaxPins : IDisposable
{
    private readonly PageRefs refs;
    private List<long>? pfns;

    internal DaxPins(PageRefs refs, List<long> pfns)
    {
        this.refs = refs;
        this.pfns = pfns;
    }

    /// <summary>How many device pages are pinned (0 once released).</summary>
    public int Count => pfns?.Count ?? 0;

    /// <summary>Drops every pin, once: the DMA is done.</summary>
    public void Dispose()
    {
        var held = Interlocked.Exchange(ref pfns, null);
        if (held is null)
            return;
        foreach (long pfn in held)
            refs.Unpin(pfn);
    }
}
