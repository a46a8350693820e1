using DaxLab.Base;
using DaxLab.Mm;

namespace DaxLab.Vfs;

/// <summary>
/// The file operations of the DAX file system (xfs_file.c, xfs_iops.c): each system call's
/// checks and locks around the DAX core.
/// </summary>
public static class FileOps
{
    /// <summary>xfs_file_dax_read into plain memory.</summary>
    public static int Read(DaxInode inode, long pos, Span<byte> buffer)
    {
        var iter = IovIter.Dest(buffer);
        return Read(inode, pos, ref iter);
    }

    /// <summary>
    /// xfs_file_dax_read: bytes read, short at EOF or where a user buffer faulted for good
    /// (EFAULT if at once). A buffer that maps a DAX file faults under i_rwsem and the design's read lock.
    /// </summary>
    public static int Read(DaxInode inode, long pos, ref IovIter iter)
    {
        VerifyArea(pos, iter.Count);
        using var iolock = inode.IRwsem.Read();
        using var held = inode.Locks.LockRead(pos, iter.Count);
        return inode.Core.IomapRead(inode.Inode, pos, ref iter);
    }

    /// <summary>xfs_file_dax_write from plain memory.</summary>
    public static int Write(DaxInode inode, long pos, ReadOnlySpan<byte> buffer)
    {
        var iter = IovIter.Source(buffer);
        return Write(inode, pos, ref iter);
    }

    /// <summary>
    /// xfs_file_dax_write: zero the old EOF block's tail, write, extend i_size by what was
    /// written. A buffer that maps a DAX file faults under every lock taken here.
    /// </summary>
    public static int Write(DaxInode inode, long pos, ref IovIter iter)
    {
        VerifyArea(pos, iter.Count);
        int length = iter.Count;
        if (length == 0)
            return 0;
        CheckEnd(pos, length);
        using var iolock = LockForWrite(inode, pos, length);
        ZeroEof(inode, pos);
        int written;
        using (inode.Locks.LockWrite(pos, length))
            written = inode.Core.IomapWrite(inode.Inode, inode.Mapping, pos, ref iter, inode.Unflushed);
        if (written > 0)
            inode.ExtendSize(pos + written);
        return written;
    }

    /// <summary>
    /// i_rwsem for write(2): exclusive, or shared for an overwrite inside i_size when the design
    /// serializes overlapping writes itself (a range lock). A write past EOF always takes it
    /// exclusive: it zeroes the old EOF block and moves i_size. i_size can only grow under the
    /// exclusive lock, so the check made under the shared one holds until it is dropped.
    /// </summary>
    private static Held LockForWrite(DaxInode inode, long pos, long length)
    {
        if (inode.Locks.OverwritesShareIRwsem)
        {
            var shared = Held.Read(inode.IRwsem);
            inode.Core.Seam.Access(inode.Inode, write: false);
            if (pos + length <= inode.Inode.Size)
                return shared;
            shared.Dispose();
        }
        return Held.Write(inode.IRwsem);
    }

    /// <summary>xfs_setattr_size: ftruncate(2).</summary>
    public static void Truncate(DaxInode inode, long size)
    {
        if (size < 0)
            // Stryker disable once Statement : equivalent, the file system's own size check fails it with the same errno (docs/checker.md)
            throw new ErrnoException(Errno.EINVAL, "ftruncate: negative size");
        if (size > Geometry.MaxFileSize)
            // Stryker disable once Statement : equivalent, the file system's own size check fails it with the same errno (docs/checker.md)
            throw new ErrnoException(Errno.EFBIG, "ftruncate: size beyond the maximum file size");
        using var iolock = inode.IRwsem.Write();
        using var mmaplock = inode.MmapSem.Write();
        // Stryker disable once Statement : equivalent on v4.12, which breaks no layouts (docs/checker.md)
        BreakLayouts(inode);
        long old = inode.Inode.Size;
        // Stryker disable once Equality : equivalent, at the same size the shrinking steps change nothing read(2) or a mapping sees (docs/checker.md)
        if (size >= old)
        {
            ZeroEof(inode, size);
            inode.SetSize(size);
            // Stryker disable once Statement : equivalent, the shrinking steps past a size not below the old one change nothing (docs/checker.md)
            return;
        }
        // Stryker disable once Bitwise : equivalent, at a page-aligned size the range zeroed is empty (docs/checker.md)
        if ((size & Geometry.PageMask) != 0)
            inode.Core.ZeroRange(inode.Inode, size, Geometry.PageAlignUp(size), inode.Unflushed);
        long eofPage = Geometry.PageAlignUp(size) / Geometry.PageSize;
        DropPages(inode, eofPage, Geometry.LastPageIndex, evenCows: true);
        inode.SetSize(size);
        // Still under both locks, so no fault and no copy-on-write can have mapped anything since.
        Invariant.Holds(!Rmap.MapsPagesFrom(inode.Mapping, eofPage), $"nothing is mapped wholly past i_size {size} once truncate returns");
    }

    /// <summary>fallocate(2) mode 0 or FALLOC_FL_KEEP_SIZE: unwritten extents over the holes.</summary>
    public static void Allocate(DaxInode inode, long offset, long length, bool keepSize)
    {
        CheckRange(offset, length);
        using var iolock = inode.IRwsem.Write();
        inode.Core.Fs.Allocate(inode.Inode, offset, length);
        if (!keepSize && offset + length > inode.Inode.Size)
        {
            ZeroEof(inode, offset + length);
            inode.ExtendSize(offset + length);
        }
    }

    /// <summary>FALLOC_FL_PUNCH_HOLE (xfs_free_file_space): zero partial blocks, free whole ones.</summary>
    public static void PunchHole(DaxInode inode, long offset, long length)
    {
        CheckRange(offset, length);
        using var iolock = inode.IRwsem.Write();
        using var mmaplock = inode.MmapSem.Write();
        BreakLayouts(inode);
        long end = Math.Min(offset + length, Geometry.PageAlignUp(inode.Inode.Size));
        if (end <= offset)
            return;
        var (first, last) = ZeroEdges(inode, offset, end);
        if (first > last)
            return;
        DropPages(inode, first, last, evenCows: false);
        inode.Core.Fs.PunchRange(inode.Inode, first << Geometry.PageShift, (last - first + 1) << Geometry.PageShift);
    }

    /// <summary>FALLOC_FL_ZERO_RANGE: zero partial blocks, turn whole ones unwritten, maybe extend.</summary>
    public static void ZeroRange(DaxInode inode, long offset, long length, bool keepSize)
    {
        CheckRange(offset, length);
        using var iolock = inode.IRwsem.Write();
        using var mmaplock = inode.MmapSem.Write();
        BreakLayouts(inode);
        long size = inode.Inode.Size;
        var (first, last) = ZeroEdges(inode, offset, offset + length);
        if (first <= last)
        {
            DropPages(inode, first, last, evenCows: false);
            inode.Core.Fs.ZeroRange(inode.Inode, first << Geometry.PageShift, (last - first + 1) << Geometry.PageShift);
        }
        if (!keepSize && offset + length > size)
        {
            ZeroEof(inode, offset + length);
            inode.ExtendSize(offset + length);
        }
    }

    /// <summary>
    /// fsync(2): dirty mapped data, then written data, then metadata; on ext4 (ext4_sync_file)
    /// the last step is jbd2_complete_transaction, which commits the running transaction and so
    /// waits for every handle open in it.
    /// </summary>
    public static void Fsync(DaxInode inode)
    {
        inode.Core.WritebackMappingRange(inode.Mapping, 0, Geometry.LastPageIndex);
        FlushWrites(inode);
        inode.Core.Fs.Sync(inode.Inode);
        inode.Core.Journal?.CommitRunning("jbd2_complete_transaction");
    }

    /// <summary>
    /// msync(MS_SYNC) of file pages [first, last]: vfs_fsync_range with datasync, so writeback
    /// of that range and then the log force: the blocks under the data may have been allocated
    /// by a fault whose record is not durable yet, and msync returns with the data durable.
    /// </summary>
    public static void SyncRange(DaxInode inode, long first, long last)
    {
        inode.Core.WritebackMappingRange(inode.Mapping, first, last);
        FlushWrites(inode);
        inode.Core.Fs.Sync(inode.Inode);
    }

    /// <summary>Bytes of blocks allocated below EOF (st_blocks × 512), by walking the extents.</summary>
    public static long AllocatedBytes(DaxInode inode)
    {
        using var iolock = inode.IRwsem.Read();
        long size = Geometry.PageAlignUp(inode.Inode.Size), allocated = 0;
        for (long pos = 0; pos < size;)
        {
            var iomap = inode.Core.Fs.IomapBegin(inode.Inode, pos, size - pos, Fs.IomapOp.Read);
            long end = Math.Min(iomap.End, size);
            if (iomap.Type != Fs.IomapType.Hole)
                allocated += end - pos;
            inode.Core.Fs.IomapEnd(inode.Inode, pos, size - pos, end - pos, Fs.IomapOp.Read, iomap);
            pos = end;
        }
        return allocated;
    }

    /// <summary>
    /// FS_IOC_FIEMAP as XFS answers it (xfs_vn_fiemap: i_rwsem shared around iomap_fiemap):
    /// fiemap_prep's checks (a zero length is EINVAL, a start at or past the largest file EFBIG,
    /// a range past it cut there), then each written or unwritten extent overlapping
    /// [start, start + length), cut to the blocks of the range, at most
    /// <paramref name="maxExtents"/> of them. The last one found is marked Last when all fit, as
    /// iomap_fiemap flags the extent it held back; when they do not, none is, and the caller
    /// asks again from the end of the last (xfs_io's batches of 32).
    /// </summary>
    public static List<FiemapExtent> Fiemap(DaxInode inode, long start, long length, int maxExtents)
    {
        Invariant.Holds(maxExtents > 0, "fiemap into room for at least one extent");
        if (length <= 0)
            throw new ErrnoException(Errno.EINVAL, "fiemap: zero length");
        if (start < 0 || start >= Geometry.MaxFileSize)
            throw new ErrnoException(Errno.EFBIG, "fiemap: start past the largest file");
        long end = start + Math.Min(length, Geometry.MaxFileSize - start);
        var found = new List<FiemapExtent>();
        using (inode.IRwsem.Read())
        {
            for (long pos = start; pos < end && found.Count <= maxExtents;)
            {
                var iomap = inode.Core.Fs.IomapBegin(inode.Inode, pos, end - pos, Fs.IomapOp.Read);
                if (iomap.Type != Fs.IomapType.Hole)
                    found.Add(new FiemapExtent(iomap.Offset, iomap.Addr, iomap.Length, iomap.Type == Fs.IomapType.Unwritten, Last: false));
                inode.Core.Fs.IomapEnd(inode.Inode, pos, end - pos, Math.Min(iomap.End, end) - pos, Fs.IomapOp.Read, iomap);
                pos = iomap.End;
            }
        }
        if (found.Count > maxExtents)
            return found[..maxExtents];
        if (found.Count > 0)
            found[^1] = found[^1] with { Last = true };
        return found;
    }

    private static void FlushWrites(DaxInode inode)
    {
        if (inode.Unflushed.TakeAll(out long address, out long length))
            inode.Core.Device.Flush(address, length);
    }

    /// <summary>
    /// Zeroes the bytes of the old EOF block past i_size before i_size moves up to
    /// <paramref name="newEnd"/>: stores through a mapping may have left data there.
    /// Context: i_rwsem exclusive.
    /// </summary>
    private static void ZeroEof(DaxInode inode, long newEnd)
    {
        long size = inode.Inode.Size;
        if (newEnd <= size || (size & Geometry.PageMask) == 0)
            return;
        inode.Core.ZeroRange(inode.Inode, size, Math.Min(Geometry.PageAlignUp(size), newEnd), inode.Unflushed);
    }

    /// <summary>Zeroes the partial blocks at the edges of [offset, end); returns the whole pages inside.</summary>
    private static (long First, long Last) ZeroEdges(DaxInode inode, long offset, long end)
    {
        long wholeStart = Geometry.PageAlignUp(offset), wholeEnd = Geometry.PageAlignDown(end);
        if (wholeStart >= wholeEnd)
        {
            inode.Core.ZeroRange(inode.Inode, offset, end, inode.Unflushed);
            return (1, 0);
        }
        if (offset < wholeStart)
            inode.Core.ZeroRange(inode.Inode, offset, wholeStart, inode.Unflushed);
        if (wholeEnd < end)
            inode.Core.ZeroRange(inode.Inode, wholeEnd, end, inode.Unflushed);
        return (wholeStart >> Geometry.PageShift, (wholeEnd >> Geometry.PageShift) - 1);
    }

    /// <summary>
    /// xfs_break_layouts(BREAK_UNMAP) where the design breaks layouts (v4.18 on): no page of the
    /// file stays pinned for a DMA once it returns. While it waits for a pin to go it drops
    /// i_mmap_sem (xfs_wait_dax_page), so the pinning task can fault, and takes it again.
    /// Context: i_rwsem and i_mmap_sem held exclusive, on return too.
    /// </summary>
    private static void BreakLayouts(DaxInode inode)
    {
        if (!inode.Core.Policy.BreaksLayouts)
            return;
        inode.Core.BreakLayouts(inode.Mapping, inode.MmapSem.UpWrite, inode.MmapSem.DownWrite);
    }

    /// <summary>
    /// truncate_pagecache_range for DAX: unmap, delete the entries, unmap again (a private
    /// copy may have been made in between). Context: i_mmap_sem exclusive.
    /// </summary>
    private static void DropPages(DaxInode inode, long first, long last, bool evenCows)
    {
        // Stryker disable once Statement : equivalent, with i_mmap_sem held exclusive the second unmap removes the same translations (docs/checker.md)
        Rmap.UnmapMappingRange(inode.Mapping, first, last, evenCows);
        inode.Core.TruncateInodePagesRange(inode.Mapping, first, last);
        // Stryker disable once Statement : equivalent, with i_mmap_sem held exclusive no fault maps anything after the first unmap (docs/checker.md)
        Rmap.UnmapMappingRange(inode.Mapping, first, last, evenCows);
    }

    /// <summary>
    /// rw_verify_area: a negative offset, or a range whose end does not fit in loff_t, is EINVAL
    /// before the file system sees it, which is why a write near 2^63 says "Invalid argument"
    /// and not EFBIG, and a read there fails instead of reading nothing.
    /// </summary>
    private static void VerifyArea(long pos, long count)
    {
        if (pos < 0 || count > long.MaxValue - pos)
            throw new ErrnoException(Errno.EINVAL, "negative file offset or a range past 2^63");
    }

    private static void CheckEnd(long pos, long length)
    {
        if (pos + length > Geometry.MaxFileSize || pos + length < 0)
            throw new ErrnoException(Errno.EFBIG, "the range ends past the maximum file size");
    }

    private static void CheckRange(long offset, long length)
    {
        if (offset < 0 || length <= 0)
            throw new ErrnoException(Errno.EINVAL, "fallocate: negative offset or non-positive length");
        CheckEnd(offset, length);
    }
}

/// <summary>
/// One extent as FS_IOC_FIEMAP reports it: file bytes [FileOffset, FileOffset + Length) at
/// device byte DeviceAddress; Unwritten is FIEMAP_EXTENT_UNWRITTEN (allocated, reads as zeros),
/// Last is FIEMAP_EXTENT_LAST (no extent follows in the range asked about).
/// </summary>
public readonly record struct FiemapExtent(long FileOffset, long DeviceAddress, long Length, bool Unwritten, bool Last);
