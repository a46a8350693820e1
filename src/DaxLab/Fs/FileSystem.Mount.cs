using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>mount: superblock, newest valid checkpoint, log replay, allocator rebuild.</summary>
public sealed partial class FileSystem
{
    /// <summary>mount: reads the superblock, loads the checkpoint and replays the log. A foreign or damaged image throws <see cref="ErrnoException"/> (EUCLEAN or EINVAL) with a message saying what is wrong.</summary>
    public static FileSystem Mount(PmemDevice device, Seam seam)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(seam);
        Layout layout = Layout.ReadSuperblock(device);
        (int slot, long generation) = NewestCheckpoint(device, layout);
        Metadata md;
        try
        {
            md = Checkpoint.Read(device, layout, seam, slot);
        }
        catch (CorruptMetadataException e)
        {
            throw new ErrnoException(Errno.EUCLEAN, $"checkpoint generation {generation} (slot {slot}) is inconsistent: {e.Message}");
        }
        Replay(device, layout, md, generation);
        var fs = new FileSystem(device, seam, md, generation);
        fs.ClaimBlocks();
        // Start a fresh epoch: bytes past the replayed tail (a torn record, or records a power
        // loss kept out of order) must never be mistaken for the continuation of this epoch.
        using (fs.logLock.Write())
            fs.CheckpointLocked();
        return fs;
    }

    /// <summary>The slot holding the valid checkpoint with the highest generation, or EUCLEAN naming why neither is.</summary>
    private static (int Slot, long Generation) NewestCheckpoint(PmemDevice device, Layout layout)
    {
        long? g0 = Checkpoint.Probe(device, layout, 0, out string why0);
        long? g1 = Checkpoint.Probe(device, layout, 1, out string why1);
        if (g0 is null && g1 is null)
            throw new ErrnoException(Errno.EUCLEAN, $"no valid checkpoint: {why0}; {why1}");
        int slot = g1 is null || (g0 is not null && g0 > g1) ? 0 : 1;
        long generation = (slot == 0 ? g0 : g1)!.Value;
        // A log that starts with an intact record of a newer epoch means that epoch's
        // checkpoint was complete once (records of an epoch follow its flushed checkpoint):
        // it has been damaged since, and mounting the older one would silently lose data.
        long? logEpoch = LogRecord.IntactEpoch(device.Span(layout.LogOffset, LogRecord.MaxBytes), layout.FormatId);
        if (logEpoch > generation)
            throw new ErrnoException(Errno.EUCLEAN,
                $"checkpoint generation {logEpoch} is damaged ({(slot == 0 ? why1 : why0)}) but the log holds its records; newest valid is generation {generation}");
        return (slot, generation);
    }

    /// <summary>
    /// Applies the records of epoch <paramref name="generation"/> in sequence order. The first record that is torn (bad checksum, wrong sequence) ends the log; an
    /// intact record of the same epoch further on means the log was damaged in the middle.
    /// </summary>
    private static void Replay(PmemDevice device, Layout layout, Metadata md, long generation)
    {
        ReadOnlySpan<byte> log = device.Span(layout.LogOffset, (int)layout.LogBytes);
        long offset = 0;
        for (long seq = 0; ; seq++)
        {
            LogRecord? record = LogRecord.TryDecode(log[(int)offset..], layout.FormatId, generation, seq, out int length);
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
        for (long probe = offset + LogRecord.Alignment; probe < layout.LogBytes; probe += LogRecord.Alignment)
        {
            if (LogRecord.IntactEpoch(log[(int)probe..], layout.FormatId) == generation)
                throw new ErrnoException(Errno.EUCLEAN, $"log is damaged at offset {offset}: an intact record of the same epoch follows at offset {probe}");
        }
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
