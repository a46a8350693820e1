namespace DaxLab.Fs;

/// <summary>
/// struct iomap_ops: how the DAX core asks a file system for the blocks under a file range.
/// <see cref="FileSystem"/> answers as XFS does (xfs_iomap_ops); <see cref="Ext4IomapOps"/> as
/// ext4 does, with a jbd2 handle around allocating writes. The design's file-system flavour
/// (<see cref="FsFlavour"/>) picks one per mount.
/// </summary>
public interface IIomapOps
{
    /// <summary>->iomap_begin: the extent (or hole) holding <paramref name="pos"/>, allocated for an <see cref="IomapOp.Write"/>.</summary>
    Iomap IomapBegin(Inode inode, long pos, long length, IomapOp op);

    /// <summary>->iomap_end: <paramref name="written"/> bytes of the extent <paramref name="iomap"/> were used.</summary>
    void IomapEnd(Inode inode, long pos, long length, long written, IomapOp op, in Iomap iomap);
}

/// <summary>Which file system's DAX paths a design runs: the XFS-like one DaxLab is built on, or ext4's journalled one.</summary>
public enum FsFlavour
{
    /// <summary>xfs_file_iomap_begin under the ILOCK; no journal handle anywhere in the DAX paths.</summary>
    Xfs,

    /// <summary>
    /// ext4: allocating ->iomap_begin calls start a jbd2 handle, and fsync commits the running
    /// transaction (<see cref="Ext4IomapOps"/>, <see cref="Sync.Journal"/>).
    /// </summary>
    Ext4,
}

/// <summary>How long ext4's write(2) keeps the jbd2 handle its ext4_iomap_begin started.</summary>
public enum Ext4WriteHandle
{
    /// <summary>
    /// To ext4_iomap_end, across dax_iomap_actor: the open transaction 9f141d6ef625 names as ext4's
    /// intent, and the order the 2017 fix had to respect. Every ext4 design's.
    /// </summary>
    ToIomapEnd,

    /// <summary>Stopped before ext4_iomap_begin returns, as ext4 of v4.10 to v4.12 shipped it.</summary>
    InIomapBegin,
}
