using DaxLab.Sync;

namespace DaxLab.Fs;

/// <summary>
/// ext4_iomap_ops for DAX (fs/ext4/inode.c, v4.10 to v4.12): an allocating ->iomap_begin
/// starts a jbd2 handle (ext4_journal_start, EXT4_HT_MAP_BLOCKS) around ext4_map_blocks; reads
/// map without one. The blocks come from DaxLab's own block map (<see cref="FileSystem"/>, whose
/// ILOCK stands for ext4's i_data_sem and whose metadata log for the journal's blocks): what is
/// ext4's here is where the handle starts and stops.
/// </summary>
/// <remarks>
/// <para>A fault's handle ends before ->iomap_begin returns, as ext4_iomap_begin's did for
/// IOMAP_FAULT; inside ext4_dax_huge_fault's own handle (fb26a1cbed8c) that start and stop only
/// nest.</para>
/// <para>A write(2)'s handle stays open until ->iomap_end, across dax_iomap_actor (its
/// invalidation of new blocks, which waits for locked entries, and its copy): the transaction
/// "ext4 ... will want to hold open" between ->iomap_begin and ->iomap_end that 9f141d6ef625
/// names as the reason ->iomap_begin had to leave the entry lock. ext4 as released stopped the
/// handle inside ext4_iomap_begin; with that, the entry-lock-first order has only one of the two
/// edges of the inversion (docs/fidelity.md). A handle held across the copy also orders mmap_lock
/// after the handle when the buffer maps a DAX file, which ext4 forbids (a write fault starts its
/// handle under mmap_lock): a scenario with such a copy and a write fault
/// (pwrite-from-mapping-overwrite) fails lockdep on every ext4 design for that reason.</para>
/// <para>Lock order: a handle is started after i_rwsem, mmap_lock and i_mmap_sem, and before
/// the ILOCK; whether before or after the entry lock is the design's (docs/designs.md).</para>
/// </remarks>
/// <param name="writeHandle">How long a write(2)'s handle lasts (<see cref="Ext4WriteHandle"/>).</param>
public sealed class Ext4IomapOps(FileSystem fs, Journal journal, Ext4WriteHandle writeHandle = Ext4WriteHandle.ToIomapEnd) : IIomapOps
{
    /// <summary>
    /// j_max_transaction_buffers of a 32 MiB journal of 4 KiB blocks (a quarter of its 8192
    /// blocks): no scenario's handles fill a transaction, so a start waits only for a commit
    /// that fsync asked for. Journal's own tests exercise the credit wait.
    /// </summary>
    public const int MaxTransactionCredits = 2048;

    /// <summary>
    /// What ext4_iomap_begin reserves for one allocating call (ext4_chunk_trans_blocks of one
    /// extent: the extent tree path, bitmap, group descriptor, inode, superblock; a stand-in of
    /// that order, DaxLab counts no buffers).
    /// </summary>
    public const int MapBlocksCredits = 8;

    /// <summary>EXT4_DATA_TRANS_BLOCKS with extents and no quota (20 + 6 - 2): what ext4_dax_huge_fault reserves for a write fault.</summary>
    public const int WritePageCredits = 24;

    public Journal Journal { get; } = journal;

    /// <summary>ext4_iomap_begin: a lookup for reads; for IOMAP_WRITE, ext4_map_blocks inside a handle.</summary>
    public Iomap IomapBegin(Inode inode, long pos, long length, IomapOp op)
    {
        if ((op & IomapOp.Write) == 0)
            return fs.IomapBegin(inode, pos, length, op);
        var handle = Journal.Start(MapBlocksCredits, "ext4_journal_start");
        Iomap iomap;
        try
        {
            iomap = fs.IomapBegin(inode, pos, length, op);
        }
        catch
        {
            Journal.Stop(handle);
            throw;
        }
        if ((op & IomapOp.Fault) != 0 || writeHandle == Ext4WriteHandle.InIomapBegin)
            Journal.Stop(handle);
        return iomap;
    }

    /// <summary>ext4_iomap_end: a write(2) stops the handle its ->iomap_begin left open, if it did.</summary>
    public void IomapEnd(Inode inode, long pos, long length, long written, IomapOp op, in Iomap iomap)
    {
        fs.IomapEnd(inode, pos, length, written, op, iomap);
        if ((op & (IomapOp.Write | IomapOp.Fault)) == IomapOp.Write && writeHandle == Ext4WriteHandle.ToIomapEnd)
            Journal.Stop(Journal.CurrentHandle ?? throw new InvalidOperationException("ext4_iomap_end of a write without the handle ext4_iomap_begin started"));
    }
}
