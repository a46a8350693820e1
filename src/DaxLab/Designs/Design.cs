using DaxLab.Dax;
using DaxLab.Fs;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// A locking protocol for keeping read(2), write(2) and mmap coherent on DAX, as argued in the
/// 2017 thread: a composition of what the DAX core asks (<see cref="DaxPolicy"/>) and what the
/// file operations ask (<see cref="InodeLocks"/>). This base class is v4.12, the fix that landed;
/// every other design overrides only where it differs, so each one reads as a small difference
/// from the fix.
/// </summary>
/// <remarks>
/// In the order a racing write(2) and fault meet them: the locks a fault holds around the DAX
/// handler (<see cref="InodeLocks.LockFault"/>); whether the fault asks ->iomap_begin before
/// taking the entry lock (<see cref="DaxPolicy.FaultOrder"/>); what write(2) and read(2) hold
/// besides i_rwsem (<see cref="InodeLocks.LockWrite"/>, <see cref="InodeLocks.LockRead"/>); what
/// the write path does to the entries of newly allocated blocks (<see cref="DaxPolicy.NewBlocks"/>).
/// </remarks>
public abstract class Design
{
    /// <summary>The name used by <c>--design</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line: what this design does.</summary>
    public abstract string Summary { get; }

    /// <summary>Where the idea comes from.</summary>
    public abstract string Source { get; }

    /// <summary>The design's choices inside fs/dax.c.</summary>
    public virtual DaxPolicy Dax => DaxPolicy.V412;

    /// <summary>The file system whose DAX paths the design runs: XFS-like unless an ext4 design says so.</summary>
    public virtual FsFlavour Fs => FsFlavour.Xfs;

    /// <summary>On ext4, how long write(2) holds its journal handle: to ->iomap_end in every ext4 design (docs/fidelity.md, deviation 14).</summary>
    public virtual Ext4WriteHandle Ext4WriteHandle => Ext4WriteHandle.ToIomapEnd;

    /// <summary>The locks the design adds for <paramref name="inode"/>, made once per inode.</summary>
    public virtual InodeLocks NewInodeLocks(DaxInode inode) => new(inode);

    public override string ToString() => Name;
}
