using DaxLab.Dax;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// One side of a real bug's verdict pair (docs/history.md): a design of the default matrix with
/// one fix taken out (named "design-sha") or put in ("design+sha"). Each is the base design's
/// <see cref="DaxPolicy"/> with a switch or two, not a copy of engine code; none is in
/// <see cref="DesignCatalog.All"/>, so the default matrix's verdicts stay as they are.
/// </summary>
public sealed class HistoricalDesign(string name, string summary, string source, DaxPolicy dax, Func<DaxInode, InodeLocks>? locks = null) : Design
{
    public override string Name => name;

    public override string Summary => summary;

    public override string Source => source;

    public override DaxPolicy Dax => dax;

    public override InodeLocks NewInodeLocks(DaxInode inode) => locks is null ? base.NewInodeLocks(inode) : locks(inode);
}

/// <summary>
/// The DAX write locking XFS and ext4 inherited from direct I/O: an aligned overwrite inside
/// i_size takes i_rwsem shared, and nothing else keeps two writers (or a reader) apart.
/// </summary>
public sealed class DirectIoStyleLocks(DaxInode inode) : InodeLocks(inode)
{
    public override bool OverwritesShareIRwsem => true;
}
