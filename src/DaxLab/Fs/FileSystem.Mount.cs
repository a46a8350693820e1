using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>mount: superblock, newest valid checkpoint, log replay, allocator rebuild.</summary>
public sealed partial class FileSystem
{
    /// <summary>mount: reads the superblock, loads the checkpoint, replays the log and starts a new epoch. A foreign or damaged image throws <see cref="ErrnoException"/> (EUCLEAN or EINVAL) with a message saying what is wrong.</summary>
    public static FileSystem Mount(PmemDevice device, Seam seam) => Mount(device, seam, readOnly: false);

    /// <summary>
    /// mount -o ro,norecovery made safe: replays the log into memory only, writes no checkpoint
    /// and never writes the device (fsck, `daxlab io -r`); every change fails with EROFS.
    /// </summary>
    public static FileSystem MountReadOnly(PmemDevice device, Seam seam) => Mount(device, seam, readOnly: true);

    private static FileSystem Mount(PmemDevice device, Seam seam, bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(seam);
        Layout layout = Layout.ReadSuperblock(device);
        if (DurableTail.ReadNewest(device, layout, out string tailWhy) is not var (tail, tailCopy))
            throw new ErrnoException(Errno.EUCLEAN, $"log tail block is damaged ({tailWhy}): how far fsync made the log durable is unknown");
        (int slot, long generation) = NewestCheckpoint(device, layout, tail);
        Metadata md;
        try
        {
            md = Checkpoint.Read(device, layout, seam, slot);
        }
        catch (CorruptMetadataException e)
        {
            throw new ErrnoException(Errno.EUCLEAN, $"checkpoint generation {generation} (slot {slot}) is inconsistent: {e.Message}");
        }
        // A tail of an older epoch promises nothing of this one: its checkpoint is what is durable.
        DurableTail durable = tail.Epoch == generation ? tail : new DurableTail(generation, 0, 0);
        LogRecovery recovery = Replay(device, layout, md, durable);
        var fs = new FileSystem(device, seam, md, generation, readOnly, tailCopy ^ 1, recovery);
        fs.ClaimBlocks();
        if (readOnly)
            return fs;
        // Start a fresh epoch: bytes past the replayed tail (a torn record, or records a power
        // loss kept out of order) must never be mistaken for the continuation of this epoch.
        using (fs.logLock.Write())
            fs.CheckpointLocked();
        return fs;
    }

    /// <summary>The slot holding the valid checkpoint with the highest generation, or EUCLEAN naming why neither is.</summary>
    private static (int Slot, long Generation) NewestCheckpoint(PmemDevice device, Layout layout, DurableTail tail)
    {
        long? g0 = Checkpoint.Probe(device, layout, 0, out string why0);
        long? g1 = Checkpoint.Probe(device, layout, 1, out string why1);
        if (g0 is null && g1 is null)
            throw new ErrnoException(Errno.EUCLEAN, $"no valid checkpoint: {why0}; {why1}");
        int slot = g1 is null || (g0 is not null && g0 > g1) ? 0 : 1;
        long generation = (slot == 0 ? g0 : g1)!.Value;
        // A durable tail or a log record of a newer epoch means that epoch's checkpoint was
        // complete once (both are written only after it is flushed): it has been damaged
        // since, and mounting the older one would silently lose data.
        long? logEpoch = LogRecord.IntactEpoch(device.Span(layout.LogOffset, LogRecord.MaxBytes), layout.FormatId);
        long newest = Math.Max(logEpoch ?? 0, tail.Epoch);
        if (newest > generation)
            throw new ErrnoException(Errno.EUCLEAN,
                $"checkpoint generation {newest} is damaged ({(slot == 0 ? why1 : why0)}) but the log holds its records or its durable tail; newest valid is generation {generation}");
        return (slot, generation);
    }

    /// <summary>
    /// Applies the records of the durable tail's epoch in sequence order, up to the first that is
    /// torn or missing (bad checksum, wrong epoch or sequence). Stopping before the durable tail
    /// is damage (fsync returned for those records): EUCLEAN with the offsets. Anything past the
    /// replayed end was never acknowledged and is dropped; see docs/fs.md.
    /// </summary>
    private static LogRecovery Replay(PmemDevice device, Layout layout, Metadata md, DurableTail durable)
    {
        ReadOnlySpan<byte> log = device.Span(layout.LogOffset, (int)layout.LogBytes);
        long offset = 0;
        long seq = 0;
        for (; ; seq++)
        {
            if (seq == durable.Records && offset != durable.Bytes)
                throw new ErrnoException(Errno.EUCLEAN,
                    $"log does not match its durable tail: {seq} records end at offset {offset}, the tail says {durable.Records} records end at {durable.Bytes}");
            LogRecord? record = LogRecord.TryDecode(log[(int)offset..], layout.FormatId, durable.Epoch, seq, out int length);
            if (record is null)
                break;
            try
            {
                md.Apply(record.Value, null);
            }
            catch (CorruptMetadataException e)
            {
                throw new ErrnoException(Errno.EUCLEAN, $"log record {seq} at offset {offset} cannot be replayed: {e.Message}");
            }
            offset += length;
        }
        if (seq < durable.Records || offset < durable.Bytes)
            throw new ErrnoException(Errno.EUCLEAN,
                $"log is damaged at offset {offset} (log region at device offset {layout.LogOffset}): record {seq} of generation {durable.Epoch} does not check out, "
                + $"but fsync made the log durable to offset {durable.Bytes} ({durable.Records} records)");
        long dropped = log[(int)offset..].LastIndexOfAnyExcept((byte)0) + 1;
        return new LogRecovery(durable.Epoch, seq, offset, durable.Bytes, dropped);
    }

    /// <summary>Rebuilds the allocator from the extent maps; a block claimed twice or outside the data area is EUCLEAN.</summary>
    private void ClaimBlocks()
    {
        foreach (Inode inode in md.ByIno.Values)
        {
            foreach (Extent e in inode.Extents.All)
            {
                if (e.DevBlock < layout.FirstDataBlock || !allocator.Claim(new BlockRun(e.DevBlock, e.Count)))
                    throw new ErrnoException(Errno.EUCLEAN,
                        $"inode {inode.Ino} '{inode.Name}': device blocks [{e.DevBlock}, {e.DevEnd}) are metadata, past the device, or owned by another extent");
            }
        }
        if (md.ExtentTotal > layout.MaxExtents)
            throw new ErrnoException(Errno.EUCLEAN, $"{md.ExtentTotal} extents exceed the limit of {layout.MaxExtents}");
    }
}
