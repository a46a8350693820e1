namespace DaxLab.Sync;

/// <summary>
/// A lock class as lockdep has it: every lock of one kind, whichever object it belongs to
/// (ILOCK of inode 1 and ILOCK of inode 2 are one class), named as the kernel names the lock.
/// Lock order is a property of classes, not of instances, which is what lets an order seen in
/// one run be checked against an order seen in another.
/// </summary>
/// <remarks>
/// <see cref="Subclass"/> is lockdep's nesting annotation (<c>down_write_nested</c>,
/// <c>SINGLE_DEPTH_NESTING</c>): a path that legitimately holds two locks of one class, in an
/// order that makes it safe, takes the inner one under another subclass, which lockdep treats as
/// a class of its own. Equality is by value, so classes compare across runs.
/// </remarks>
public sealed record LockClass(string Name, int Subclass = 0)
{
    /// <summary>lockdep's MAX_LOCKDEP_SUBCLASSES: nesting deeper than this is a modelling error.</summary>
    public const int MaxSubclasses = 8;

    /// <summary>
    /// The class of a lock named <paramref name="lockName"/>: the name up to its instance suffix
    /// ("ILOCK#1" is of class ILOCK), as lockdep names a class by its key, not by the object.
    /// </summary>
    public static LockClass Of(string lockName, int subclass = 0)
    {
        if (subclass is < 0 or >= MaxSubclasses)
            throw new ArgumentOutOfRangeException(nameof(subclass), $"a lock subclass is 0 to {MaxSubclasses - 1} (lockdep's MAX_LOCKDEP_SUBCLASSES), not {subclass}");
        int suffix = lockName.IndexOf('#');
        return new LockClass(suffix < 0 ? lockName : lockName[..suffix], subclass);
    }

    /// <summary>The class as lockdep prints it: the name, and "/n" for a subclass other than 0.</summary>
    public override string ToString() => Subclass == 0 ? Name : $"{Name}/{Subclass}";
}

/// <summary>How an acquisition holds its lock, which decides what lockdep records.</summary>
public enum LockUse
{
    /// <summary>Exclusive: spin_lock, down_write, a write range lock, the entry lock's bit.</summary>
    Write,
    /// <summary>
    /// Shared, and not recursive: down_read and a read range lock. A waiting writer stops new
    /// readers, so a reader can wait for a reader through it; every cycle counts (see docs/checker.md).
    /// </summary>
    Read,
    /// <summary>A trylock: it cannot wait, so it adds no order from the locks held, but is held afterwards.</summary>
    Try,
    /// <summary>Waits until the lock is free without taking it (wait_entry_unlocked): orders the locks held before it, holds nothing.</summary>
    Wait,
}
