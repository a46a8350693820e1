using System.Diagnostics;

namespace DaxLab.Index;

/// <summary>
/// A mapping entry: one value packs the device page frame and the flag bits (fs/dax.c's
/// DAX_LOCKED, DAX_PMD, DAX_ZERO_PAGE, DAX_EMPTY) plus the DIRTY and TOWRITE tags.
/// </summary>
/// <remarks>
/// Layout of <see cref="Value"/>:
/// <code>
///  63 ........................ 8 | 7 6 |   5     |   4   |   3   |    2     |  1  |   0
///  device page frame (pfn)       |  -  | TOWRITE | DIRTY | EMPTY | ZERO_PAGE | PMD | LOCKED
/// </code>
/// Value 0 is "no entry". An entry is EMPTY (a locked placeholder while a fault decides), ZERO
/// (a hole mapped to the shared zero page or huge zero page) or MAPPED (has a pfn). EMPTY and
/// ZERO never carry a pfn; ZERO and EMPTY are never both set; only MAPPED entries are DIRTY.
/// EMPTY entries are created locked; a fault that gives up unlocks one and leaves it in place.
/// </remarks>
public readonly record struct DaxEntry(ulong Value)
{
    public const ulong Locked = 1UL << 0;
    public const ulong Pmd = 1UL << 1;
    public const ulong ZeroPage = 1UL << 2;
    public const ulong Empty = 1UL << 3;
    public const ulong TagDirty = 1UL << 4;
    public const ulong TagToWrite = 1UL << 5;
    private const int PfnShift = 8;
    private const ulong FlagMask = (1UL << PfnShift) - 1;

    public static readonly DaxEntry None = default;

    public static DaxEntry MakeEmpty(bool pmd) => new(Empty | Locked | (pmd ? Pmd : 0));

    public static DaxEntry MakeZero(bool pmd) => new(ZeroPage | (pmd ? Pmd : 0));

    public static DaxEntry MakeMapped(long pfn, bool pmd)
    {
        Debug.Assert(pfn >= 0 && (!pmd || (pfn & (Geometry.PagesPerPmd - 1)) == 0), "a PMD entry needs a 2 MiB-aligned pfn");
        return new(((ulong)pfn << PfnShift) | (pmd ? Pmd : 0));
    }

    public bool IsNone => Value == 0;
    public bool IsLocked => (Value & Locked) != 0;
    public bool IsPmd => (Value & Pmd) != 0;
    public bool IsZero => (Value & ZeroPage) != 0;
    public bool IsEmpty => (Value & Empty) != 0;

    /// <summary>Has blocks on the device (neither a placeholder nor the zero page).</summary>
    public bool IsMapped => !IsNone && (Value & (ZeroPage | Empty)) == 0;
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
    [Conditional("DEBUG")]
    public void AssertValid()
    {
        if (IsNone)
            return;
        Debug.Assert(!(IsZero && IsEmpty), "entry both ZERO and EMPTY");
        Debug.Assert(IsMapped || Pfn == 0, "ZERO or EMPTY entry with a pfn");
        Debug.Assert(IsMapped || (!IsDirty && !IsToWrite), "dirty entry without blocks");
    }

    public override string ToString()
    {
        if (IsNone)
            return "none";
        string kind = IsEmpty ? "empty" : IsZero ? "zero" : "pfn " + Pfn;
        return (IsPmd ? "pmd " : "pte ") + kind + (IsLocked ? " locked" : "") + (IsDirty ? " dirty" : "") + (IsToWrite ? " towrite" : "");
    }
}
