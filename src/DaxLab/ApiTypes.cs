using DaxLab.Designs;
using DaxLab.Sync;

namespace DaxLab;

/// <summary>Engine options: which seam the primitives use (real threads or a scheduler).</summary>
public sealed class DaxOptions
{
    public Seam Seam { get; init; } = Seam.RealThreads;

    /// <summary>The locking design (see <see cref="DesignCatalog"/>); the fix that landed, v4.12, by default.</summary>
    public Design Design { get; init; } = DesignCatalog.Default;
}

[Flags]
public enum DaxOpenFlags
{
    None = 0,
    /// <summary>O_CREAT.</summary>
    Create = 1,
    /// <summary>O_TRUNC.</summary>
    Truncate = 2,
    /// <summary>O_RDONLY (the default is O_RDWR): writes fail with EBADF, ftruncate with EINVAL, a shared writable mmap with EACCES, as on Linux.</summary>
    ReadOnly = 4,
}

public enum MapSharing
{
    Shared,
    Private,

    /// <summary>
    /// MAP_SHARED_VALIDATE | MAP_SYNC: a shared mapping whose write faults make the block
    /// allocation durable before the store can land, so stores flushed from user space
    /// (<see cref="DaxMapping.Persist"/>) need no fsync (generic/470).
    /// </summary>
    SharedSync,
}

public enum MapAdvice
{
    /// <summary>MADV_DONTNEED: drop the page-table entries; private copies are discarded.</summary>
    DontNeed,
}

/// <summary>stat(2) of a file.</summary>
public readonly record struct DaxStat(long Ino, long Size, long Blocks);
