using DaxLab.Base;

namespace DaxLab.Index;

/// <summary>
/// A mapping entry: one value packs the device page frame and the flag bits (fs/dax.c's
/// DAX_LOCKED, DAX_PMD, DAX_ZERO_PAGE, DAX_EMPTY) plus the DIRTY and TOWRITE tags.
/// </summary>
/// <remarks>
/// Layout of <see cref="Value"/>:
/// <code>
///  63 ........................ 8 | 7 |    6     |   5     |   4   |   3   |    2     |  1  |   0
///  device page frame (pfn)       | - | HOLEPAGE | TOWRITE | DIRTY | EMPTY | ZERO_PAGE | PMD | LOCKED
/// </code>
/// Value 0 is "no entry". An entry is EMPTY (a locked placeholder while a fault decides), ZERO
/// (a hole mapped to the shared zero page or huge zero page) or MAPPED (has a pfn). Before v4.14
/// a 4 KiB hole was instead a page-cache page in the slot, a HOLEPAGE here: not a DAX entry, its
/// LOCKED bit standing for the page lock. EMPTY, ZERO and HOLEPAGE never carry a pfn, are never
/// two at once, and only MAPPED entries are DIRTY; a HOLEPAGE is never PMD.
/// EMPTY entries are created locked; a fault that gives up unlocks one and leaves it in place.
/// <see cref="Conflict"/> (bit 7 alone) is no entry at all: XA_RETRY_ENTRY, the answer a lookup
/// of one order gives when a smaller entry sits in its range; it is never stored.
/// </remarks>
public readonly record struct DaxEntry(ulong Value)
{
    public const ulong Locked = 1UL << 0;
    public const ulong Pmd = 1UL << 1;
    public const ulong ZeroPage = 1UL << 2;
    public const ulong Empty = 1UL << 3;
    public const ulong TagDirty = 1UL << 4;
    public const ulong TagToWrite = 1UL << 5;
    public const ulong HolePageBit = 1UL << 6;
    private const ulong RetryBit = 1UL << 7;
    private const int PfnShift = 8;
    private const ulong FlagMask = (1UL << PfnShift) - 1;

    public static readonly DaxEntry None = default;

    /// <summary>
    /// XA_RETRY_ENTRY as get_next_unlocked_entry returns it (dax_is_conflict): the range asked
    /// for holds an entry of a smaller order, so the caller falls back instead of waiting.
    /// </summary>
    public static readonly DaxEntry Conflict = new(RetryBit);

    public static DaxEntry MakeEmpty(bool pmd) => new(Empty | Locked | (pmd ? Pmd : 0));

    public static DaxEntry MakeZero(bool pmd) => new(ZeroPage | (pmd ? Pmd : 0));

    /// <summary>A 4 KiB hole page, locked: find_or_create_page returns the page it adds locked.</summary>
    public static DaxEntry MakeHolePage() => new(HolePageBit | Locked);

    public static DaxEntry MakeMapped(long pfn, bool pmd)
    {
        Invariant.Holds(pfn >= 0 && (!pmd || (pfn & (Geometry.PagesPerPmd - 1)) == 0), "a PMD entry needs a 2 MiB-aligned pfn");
        return new(((ulong)pfn << PfnShift) | (pmd ? Pmd : 0));
    }

    public bool IsNone => Value == 0;

    /// <summary>dax_is_conflict: the lookup met a smaller entry; not an entry of the index.</summary>
    public bool IsConflict => Value == RetryBit;
    public bool IsLocked => (Value & Locked) != 0;
    public bool IsPmd => (Value & Pmd) != 0;
    public bool IsZero => (Value & ZeroPage) != 0;
    public bool IsEmpty => (Value & Empty) != 0;
    public bool IsHolePage => (Value & HolePageBit) != 0;

    /// <summary>Has blocks on the device (neither a placeholder nor the zero page).</summary>
    public bool IsMapped => !IsNone && !IsConflict && (Value & (ZeroPage | Empty | HolePageBit)) == 0;
    public bool IsDirty => (Value & TagDirty) != 0;
    public bool IsToWrite => (Value & TagToWrite) != 0;
    public long Pfn => (long)(Value >> PfnShift);
    public int Order => IsPmd ? Geometry.PmdOrder : 0;
    public long PageCount => 1L << Order;

    public DaxEntry With(ulong bits) => new(Value | bits);
    public DaxEntry Without(ulong bits) => new(Value & ~bits);

    /// <summary>The same entry with the lock bit and tags dropped: what "the same entry" means when re-checking.</summary>
    public DaxEntry Identity => new(Value & ~(Locked | TagDirty | TagToWrite));

    /// <summary>Checks the combinations the layout forbids.</summary>
    public void AssertValid()
    {
        if (IsNone)
            return;
        Invariant.Holds(!IsConflict, "XA_RETRY_ENTRY stored in the index");
        Invariant.Holds((IsZero ? 1 : 0) + (IsEmpty ? 1 : 0) + (IsHolePage ? 1 : 0) <= 1, "entry of two kinds at once");
        Invariant.Holds(!IsHolePage || !IsPmd, "a 2 MiB hole page");
        Invariant.Holds(IsMapped || Pfn == 0, "ZERO, EMPTY or hole-page entry with a pfn");
        Invariant.Holds(IsMapped || (!IsDirty && !IsToWrite), "dirty entry without blocks");
    }

    // Stryker disable all : text for traces and messages, which no engine behaviour reads (docs/checker.md)
    public override string ToString()
    {
        if (IsNone)
            return "none";
        if (IsConflict)
            return "conflict";
        string kind = IsEmpty ? "empty" : IsZero ? "zero" : IsHolePage ? "hole page" : "pfn " + Pfn;
        return (IsPmd ? "pmd " : "pte ") + kind + (IsLocked ? " locked" : "") + (IsDirty ? " dirty" : "") + (IsToWrite ? " towrite" : "");
    }
    // Stryker restore all
}
