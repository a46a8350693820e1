using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>Free and total 4 KiB blocks.</summary>
public readonly record struct FsSpace(long TotalBlocks, long FreeBlocks);

/// <summary>
/// What mount's log recovery found: the checkpoint generation it started from, how far replay
/// went, how far fsync had made the log durable, and how many bytes past the replayed end it
/// dropped (a torn or unacknowledged tail; see "durability rule for the log tail" in docs/fs.md).
/// </summary>
public sealed record LogRecovery(long Generation, long ReplayedRecords, long ReplayedBytes, long DurableBytes, long DroppedBytes)
{
    /// <summary>The warning for a dropped tail, as XFS warns of a torn log write; null when nothing was dropped.</summary>
    public string? Warning => DroppedBytes == 0 ? null
        : $"log of generation {Generation}: torn or unacknowledged write after offset {ReplayedBytes}; dropped {DroppedBytes} bytes past the last intact record "
          + $"(the log was durable to offset {DurableBytes}, so nothing fsync returned for is lost)";
}

/// <summary>
/// The on-device file system: superblock, inode table, extent maps, block allocator, metadata
/// log, and the iomap operations the DAX core calls.
/// </summary>
/// <remarks>
/// Lock order (outermost first):
///   i_rwsem / i_mmap_sem (VFS, taken by callers)
///   → ILOCK (<see cref="Inode.Ilock"/>, per inode)
///   → namespace lock (<see cref="nsLock"/>, the flat directory)
///   → allocator lock (inside <see cref="BlockAllocator"/>, a leaf)
///   → log lock (<see cref="logLock"/>).
/// No function holds the allocator lock and the log lock together: blocks are allocated and
/// zeroed before the record that maps them is committed, and freed after the record that
/// unmaps them is committed, so a block is reused only once its freeing is in the log.
/// Crash consistency: every change is a record appended to the log and only then applied in
/// memory, under the log lock; see docs/fs.md.
/// </remarks>
public sealed partial class FileSystem : IDisposable
{
    public const int BlockSize = Geometry.PageSize;
    public const int MaxNameBytes = 255;

    /// <summary>Largest single allocation: 128 MiB bounds the zeroing done under the ILOCK by one ->iomap_begin.</summary>
    internal const long MaxAllocBlocks = 32768;

    private readonly Seam seam;
    private readonly Metadata md;
    private readonly BlockAllocator allocator;

    /// <summary>
    /// The log lock (xlog's l_icloglock, made a sleeping lock because a full log checkpoints
    /// under it). Guards <see cref="epoch"/>, <see cref="nextSeq"/>, <see cref="logTail"/>,
    /// <see cref="logFlushedTo"/>, the log and checkpoint regions, and every change of
    /// <see cref="md"/>: write for every change, read only to peek at the counters.
    /// </summary>
    private readonly RwSemaphore logLock;

    /// <summary>
    /// The namespace lock (the directory's i_rwsem): guards the name and inode-number tables and
    /// the next inode number of the metadata; shared for lookups, exclusive for create/unlink
    /// (whose changes also go through the log lock).
    /// </summary>
    private readonly RwSemaphore nsLock;

    private long epoch;
    private long nextSeq;
    private long logTail;

    /// <summary>How far the log is flushed and promised by the durable tail (<see cref="DurableTail"/>).</summary>
    private long logFlushedTo;

    /// <summary>The durable-tail copy the next log force writes: never the one holding the newest valid tail.</summary>
    private int tailCopy;

    /// <summary>
    /// Durable-tail writes so far (log forces and checkpoints): a record committed when this was
    /// f is durable once it exceeds f. Written under the log lock, read without it to retire
    /// busy blocks (a stale read only forces the log once more than needed).
    /// </summary>
    private long forcesDone;

    /// <summary>Mounted read-only (fsck, `daxlab io -r`): nothing may write the device.</summary>
    private readonly bool readOnly;
    private int disposed;

    private FileSystem(PmemDevice device, Seam seam, Metadata md, long epoch, bool readOnly, int tailCopy, LogRecovery recovery)
    {
        Device = device;
        this.seam = seam;
        this.md = md;
        this.epoch = epoch;
        this.readOnly = readOnly;
        this.tailCopy = tailCopy;
        Recovery = recovery;
        allocator = new BlockAllocator(seam, layout.TotalBlocks, layout.FirstDataBlock);
        logLock = seam.NewRwSemaphore("log");
        nsLock = seam.NewRwSemaphore("namespace");
    }

    /// <summary>mkfs: writes a new, empty file system on the device (metadata only).</summary>
    public static FileSystem Format(PmemDevice device, Seam seam) => Format(device, seam, logBytes: null);

    /// <summary>mkfs with a chosen log size (tests force checkpoints with a small log) and optionally a lower extent limit (tests reach it).</summary>
    internal static FileSystem Format(PmemDevice device, Seam seam, long? logBytes, int? maxExtents = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(seam);
        Layout layout = Layout.ForDevice(device.Size, logBytes);
        if (maxExtents is { } limit && limit > 0 && limit < layout.MaxExtents)
            layout = layout with { MaxExtents = limit };
        // Kill the old superblock first: a crash mid-mkfs leaves no file system, not a mix.
        device.Span(0, BlockSize).Clear();
        device.Flush(0, BlockSize);
        device.Fence();
        device.Span(layout.Slot0Offset, BlockSize).Clear();
        device.Span(layout.Slot1Offset, BlockSize).Clear();
        var md = new Metadata(seam, layout);
        Checkpoint.Write(device, md, generation: 1);
        // A reformatted device still holds the old log: its records fail the new format id's
        // checksum, but mount would take their bytes for a torn tail.
        ZeroLog(device, layout);
        DurableTail.Format(device, layout, epoch: 1);
        layout.WriteSuperblock(device);
        return new FileSystem(device, seam, md, epoch: 1, readOnly: false, tailCopy: 1, new LogRecovery(1, 0, 0, 0, 0));
    }

    public PmemDevice Device { get; }

    /// <summary>What mount's log recovery found (for mkfs: an empty log).</summary>
    public LogRecovery Recovery { get; }

    /// <summary>Mounted read-only: every change fails with EROFS and the device is never written.</summary>
    public bool IsReadOnly => readOnly;

    /// <summary>The on-device format version (the superblock's).</summary>
    public static uint FormatVersion => Layout.Version;

    /// <summary>The geometry the metadata was read or made with.</summary>
    private Layout layout => md.Layout;

    /// <summary>The geometry from the superblock (tests and tools).</summary>
    internal Layout Layout => layout;

    /// <summary>The block allocator (tests damage it to exercise fsck).</summary>
    internal BlockAllocator Allocator => allocator;

    /// <summary>The current checkpoint generation, which is also the log epoch (tests: did the log wrap?).</summary>
    internal long Generation
    {
        get
        {
            using (logLock.Read())
                return epoch;
        }
    }

    /// <summary>Byte offset of the log tail inside the log region (tests: where the next record goes).</summary>
    internal long LogTail
    {
        get
        {
            using (logLock.Read())
                return logTail;
        }
    }

    public FsSpace Space => new(allocator.DataBlocks, allocator.FreeBlocks);

    /// <summary>Extents in all the files' maps (fsck's report).</summary>
    public long ExtentCount
    {
        get
        {
            using (logLock.Read())
                return md.ExtentTotal;
        }
    }

    /// <summary>The most inodes and extents this file system holds (sized from the device at mkfs).</summary>
    public (int Inodes, int Extents) Limits => (layout.MaxInodes, layout.MaxExtents);

    public Inode? Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        using (nsLock.Read())
            return md.ByName.GetValueOrDefault(name);
    }

    /// <summary>Creates an empty file. ENAMETOOLONG, EINVAL (empty name or '/'), EEXIST, ENOSPC (inode table full).</summary>
    public Inode Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Metadata.NameProblem(name) is var (errno, why))
            throw new ErrnoException(errno, why);
        using (nsLock.Write())
        {
            if (md.ByName.ContainsKey(name))
                throw new ErrnoException(Errno.EEXIST, $"'{name}' already exists");
            if (md.ByIno.Count >= layout.MaxInodes)
                throw new ErrnoException(Errno.ENOSPC, $"inode table full ({layout.MaxInodes} inodes)");
            long ino = md.NextIno;
            Commit([LogRecord.Create(ino, name)], null);
            return md.ByIno[ino];
        }
    }

    public IReadOnlyList<Inode> Inodes
    {
        get
        {
            using (nsLock.Read())
                return md.ByIno.Values.OrderBy(i => i.Ino).ToList();
        }
    }

    /// <summary>Removes a file and frees its blocks. Context: no mapping of it exists.</summary>
    public void Unlink(Inode inode)
    {
        var freed = new List<BlockRun>();
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            using (nsLock.Write())
                Commit([LogRecord.Unlink(inode.Ino)], freed);
            FreeRuns(freed);
        }
    }

    /// <summary>Sets i_size. Shrinking frees every block wholly past the new size.</summary>
    public void SetSize(Inode inode, long newSize)
    {
        CheckSize(newSize);
        var freed = new List<BlockRun>();
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            Commit([LogRecord.SetSize(inode.Ino, newSize)], freed);
            FreeRuns(freed);
        }
    }

    /// <summary>Raises i_size to <paramref name="end"/> if it is larger (a write past EOF).</summary>
    public void ExtendSize(Inode inode, long end)
    {
        CheckSize(end);
        seam.Access(inode, write: false);
        if (end <= inode.Size)
            return;
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            // Another extending writer may have gone further while we waited for the ILOCK.
            if (end > inode.Size)
                Commit([LogRecord.SetSize(inode.Ino, end)], null);
        }
    }

    /// <summary>Frees every block wholly inside [offset, offset + length); i_size unchanged.</summary>
    public void PunchRange(Inode inode, long offset, long length)
    {
        (long first, long end) = WholeBlocks(offset, length);
        if (first >= end)
            return;
        var freed = new List<BlockRun>();
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            Commit([LogRecord.Unmap(inode.Ino, first, end - first)], freed);
            FreeRuns(freed);
        }
    }

    /// <summary>Turns every written block wholly inside the range into an unwritten one (reads as zeros, stays allocated).</summary>
    public void ZeroRange(Inode inode, long offset, long length)
    {
        (long first, long end) = WholeBlocks(offset, length);
        if (first >= end)
            return;
        using (inode.Ilock.Write())
        {
            CheckLive(inode);
            Commit([LogRecord.Convert(inode.Ino, first, end - first, unwritten: true)], null);
        }
    }

    /// <summary>
    /// Makes the inode's metadata durable (fsync's metadata half): the log force, which also
    /// fences the data the caller flushed before it. New blocks' zeros are durable already.
    /// </summary>
    public void Sync(Inode inode)
    {
        ArgumentNullException.ThrowIfNull(inode);
        SyncLog();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        SyncLog();
    }

    /// <summary>
    /// Appends <paramref name="records"/> to the log and applies each (xfs_trans_commit). The
    /// extent limit is checked for all of them first, so an ENOSPC commits nothing. Blocks the
    /// records unmap go to <paramref name="freed"/>. Context: the ILOCK of every inode named
    /// exclusive (and the namespace lock for create/unlink); takes the log lock.
    /// </summary>
    private void Commit(ReadOnlySpan<LogRecord> records, List<BlockRun>? freed)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ThrowIfReadOnly();
        seam.Point("xfs_log_commit_cil");
        using (logLock.Write())
        {
            long growth = 0;
            foreach (LogRecord r in records)
                growth += md.GrowthBound(r);
            if (md.ExtentTotal + growth > layout.MaxExtents)
                throw new ErrnoException(Errno.ENOSPC, $"extent table full ({layout.MaxExtents} extents)");
            foreach (LogRecord r in records)
            {
                // The extent map and the allocator agree: a mapping is logged only for blocks the
                // allocator handed out (and a free of unmapped blocks asserts they were in use).
                Invariant.Holds(r.Type != RecordType.Map || allocator.IsAllocated(new BlockRun(r.B, r.C)), $"{r} maps blocks the allocator holds free");
                AppendLocked(r);
                md.Apply(r, freed);
            }
        }
    }

    /// <summary>Writes one record at the log tail, checkpointing first when it would not fit. Context: log lock.</summary>
    private void AppendLocked(in LogRecord record)
    {
        Invariant.Holds(logLock.IsWriteLocked, "append needs the log lock");
        int length = record.EncodedBytes;
        if (logTail + length > layout.LogBytes)
            CheckpointLocked();
        Span<byte> staged = stackalloc byte[LogRecord.MaxBytes];
        record.Encode(staged[..length], layout.FormatId, epoch, nextSeq);
        Span<byte> at = Device.Span(layout.LogOffset + logTail, length);
        Invariant.Holds(!at.ContainsAnyExcept((byte)0), "the log past its tail is zero (each epoch starts on a zeroed log)");
        staged[..length].CopyTo(at);
        logTail += length;
        nextSeq++;
        Invariant.Holds(logTail <= layout.LogBytes, "the log never overflows its region");
    }

    /// <summary>
    /// Writes the whole state as checkpoint generation epoch + 1 (into the other slot) and starts
    /// that epoch's log at offset 0. The checkpoint is flushed before the old epoch's records are
    /// zeroed and before any record of the new epoch is written, so the device always holds a
    /// checkpoint plus the records that follow it. The durable tail then names the new epoch, so
    /// a later damaged checkpoint G+1 is refused, not silently replaced by G. Context: log lock.
    /// </summary>
    private void CheckpointLocked()
    {
        Invariant.Holds(logLock.IsWriteLocked, "checkpoint needs the log lock");
        Invariant.Holds(!readOnly, "a read-only mount never checkpoints");
        seam.Point("xfs_log_checkpoint");
        Checkpoint.Write(Device, md, epoch + 1);
        epoch++;
        logTail = 0;
        nextSeq = 0;
        logFlushedTo = 0;
        ZeroLog(Device, layout);
        WriteDurableTailLocked();
        seam.Note($"writes checkpoint generation {epoch}");
    }

    /// <summary>
    /// Clears the log up to its last non-zero byte and flushes it, so that in every epoch the log
    /// past the tail is zero and mount can tell a torn tail (non-zero bytes there) from a clean end.
    /// Context: the checkpoint that replaces the log's records is already flushed (or mkfs).
    /// </summary>
    private static void ZeroLog(PmemDevice device, Layout layout)
    {
        Span<byte> log = device.Span(layout.LogOffset, (int)layout.LogBytes);
        int used = log.LastIndexOfAnyExcept((byte)0) + 1;
        if (used == 0)
            return;
        log[..used].Clear();
        device.Flush(layout.LogOffset, used);
        // The zeroed log is durable before the new epoch's tail or records can be.
        device.Fence();
    }

    /// <summary>
    /// fsync's log force: flushes the records not yet flushed, fences, then records the durable
    /// tail (flushed and fenced). With nothing to force it still fences, so the data the caller
    /// flushed is durable when fsync returns.
    /// </summary>
    private void SyncLog()
    {
        using (logLock.Write())
        {
            Invariant.Holds(logFlushedTo <= logTail, "flushed part is a prefix of the log");
            if (logFlushedTo == logTail)
            {
                Device.Fence();
                return;
            }
            Device.Flush(layout.LogOffset + logFlushedTo, logTail - logFlushedTo);
            // The records are durable before the tail that promises them can be: without this
            // fence a power failure could keep the tail and lose a record line, and mount would
            // refuse a damaged log for records fsync never returned for.
            Device.Fence();
            // Only now may the tail promise these records: a power failure before the tail write
            // leaves them an unacknowledged tail, which mount may drop; after it, they must replay.
            logFlushedTo = logTail;
            WriteDurableTailLocked();
        }
    }

    /// <summary>Writes (epoch, logFlushedTo) into the durable-tail copy not holding the newest tail, and flushes it. Context: log lock.</summary>
    private void WriteDurableTailLocked()
    {
        Invariant.Holds(logLock.IsWriteLocked, "the durable tail is written under the log lock");
        Invariant.Holds(logFlushedTo == logTail, "the tail promises only flushed records");
        new DurableTail(epoch, logFlushedTo, nextSeq).Write(Device, layout, tailCopy);
        tailCopy ^= 1;
        Volatile.Write(ref forcesDone, forcesDone + 1);
    }

    /// <summary>A read-only mount refuses every change, as a read-only XFS mount does.</summary>
    private void ThrowIfReadOnly()
    {
        if (readOnly)
            throw new ErrnoException(Errno.EROFS, "the file system is mounted read-only");
    }

    /// <summary>Frees the runs a committed record unmapped, busy until the next log force makes that record durable.</summary>
    private void FreeRuns(List<BlockRun> runs)
    {
        long busyUntil = Volatile.Read(ref forcesDone);
        foreach (BlockRun run in runs)
            allocator.Free(run, busyUntil);
    }

    /// <summary>Operations on an unlinked inode fail as on a stale handle. Context: ILOCK held.</summary>
    private static void CheckLive(Inode inode)
    {
        Invariant.Holds(inode.Ilock.IsLocked, "liveness is stable only under the ILOCK");
        if (inode.Unlinked)
            throw new ErrnoException(Errno.ENOENT, $"inode {inode.Ino} '{inode.Name}' was unlinked");
    }

    private static void CheckSize(long size)
    {
        if (size < 0)
            throw new ErrnoException(Errno.EINVAL, $"negative size {size}");
        if (size > Geometry.MaxFileSize)
            throw new ErrnoException(Errno.EFBIG, $"size {size} exceeds the largest file ({Geometry.MaxFileSize})");
    }

    /// <summary>The blocks wholly inside [offset, offset + length), clamped to the largest file.</summary>
    private static (long First, long End) WholeBlocks(long offset, long length)
    {
        CheckRange(offset, length);
        long first = (offset + BlockSize - 1) / BlockSize;
        long end = Math.Min(offset + length, Geometry.MaxFileSize) / BlockSize;
        return (first, end);
    }

    private static void CheckRange(long offset, long length)
    {
        if (offset < 0 || length <= 0 || length > long.MaxValue - offset)
            throw new ErrnoException(Errno.EINVAL, $"invalid range offset {offset} length {length}");
    }
}
