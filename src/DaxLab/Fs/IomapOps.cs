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
