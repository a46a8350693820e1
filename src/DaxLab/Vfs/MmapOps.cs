using DaxLab.Base;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Vfs;

/// <summary>mmap(2), munmap(2), msync(2) and madvise(2) on DAX files.</summary>
public static class MmapOps
{
    /// <summary>TASK_SIZE of x86-64 with 4-level page tables: no mapping is longer than the user address space.</summary>
    public const long TaskSize = (1L << 47) - Geometry.PageSize;

    /// <summary>mmap: a new mapping with an empty page table, linked into the file's reverse map; <paramref name="sync"/> is MAP_SYNC (a shared mapping of a DAX file, which every file here is).</summary>
    public static VmArea Mmap(DaxInode inode, long offset, long length, MapProtection protection, bool shared, bool sync = false)
    {
        if (offset < 0 || (offset & Geometry.PageMask) != 0 || length <= 0)
            throw new ErrnoException(Errno.EINVAL, "mmap: offset not page-aligned or length not positive");
        // do_mmap's order: a length no address space holds is ENOMEM before file_mmap_ok's
        // EOVERFLOW, whose test is written so that offset + length cannot overflow.
        if (length > TaskSize)
            throw new ErrnoException(Errno.ENOMEM, "mmap: length larger than the address space");
        if (offset > Geometry.MaxFileSize - Geometry.PageAlignUp(length))
            throw new ErrnoException(Errno.EOVERFLOW, "mmap: range past the maximum file size");
        var vma = new VmArea(inode.Mapping, inode, inode.Core.Device, inode.Core.Seam,
            offset >> Geometry.PageShift, length, protection, shared) { Sync = sync };
        using var rmap = inode.Mapping.IMmapRwsem.Write();
        inode.Mapping.Mappings.Add(vma);
        return vma;
    }

    /// <summary>munmap: waits out faults in progress, zaps everything, unlinks from the reverse map.</summary>
    public static void Munmap(VmArea vma)
    {
        using (vma.MmapLock.Write())
        {
            if (vma.Unmapped)
                return;
            vma.Unmapped = true;
            vma.Zap(vma.Start, vma.End, evenCows: true);
            vma.ReleasePrivatePages();
        }
        using var rmap = vma.Mapping.IMmapRwsem.Write();
        vma.Mapping.Mappings.Remove(vma);
    }

    /// <summary>msync: MS_SYNC writes back the file pages of the range; MS_ASYNC and MS_INVALIDATE have nothing to do on DAX.</summary>
    public static void Msync(DaxInode inode, VmArea vma, long offset, long length, MsyncFlags flags)
    {
        if ((offset & Geometry.PageMask) != 0 || length < 0 ||
            (flags & (MsyncFlags.Async | MsyncFlags.Sync)) == (MsyncFlags.Async | MsyncFlags.Sync))
            throw new ErrnoException(Errno.EINVAL, "msync: unaligned address, negative length or both MS_ASYNC and MS_SYNC");
        if (offset + length > vma.Length || vma.Unmapped)
            throw new ErrnoException(Errno.ENOMEM, "msync: range not mapped");
        if ((flags & MsyncFlags.Sync) == 0 || !vma.Shared || length == 0)
            return;
        long first = vma.Pgoff + (offset >> Geometry.PageShift);
        long last = vma.Pgoff + ((offset + length - 1) >> Geometry.PageShift);
        FileOps.SyncRange(inode, first, last);
    }

    /// <summary>madvise(MADV_DONTNEED): drops the translations; private copies are discarded.</summary>
    public static void MadviseDontNeed(VmArea vma, long offset, long length)
    {
        if ((offset & Geometry.PageMask) != 0 || length < 0)
            throw new ErrnoException(Errno.EINVAL, "madvise: unaligned address or negative length");
        if (offset + length > vma.Length || vma.Unmapped)
            throw new ErrnoException(Errno.ENOMEM, "madvise: range not mapped");
        using var mmapLock = vma.MmapLock.Read();
        vma.Zap(vma.Start + offset, vma.Start + Geometry.PageAlignUp(offset + length), evenCows: true);
    }
}
