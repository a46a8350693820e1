using DaxLab.Base;

namespace DaxLab.Mm;

/// <summary>What a page-table entry points at.</summary>
public enum PageKind
{
    /// <summary>Device memory: the file's blocks, mapped directly (DAX).</summary>
    Device = 0,
    /// <summary>The shared zero page (4 KiB) or huge zero page (2 MiB): read-only.</summary>
    ZeroPage = 1,
    /// <summary>A private anonymous page of a MAP_PRIVATE mapping (copy-on-write result).</summary>
    Anon = 2,
    /// <summary>A 4 KiB hole page of the page cache (before v4.14): zeros, read-only, replaced when written.</summary>
    HolePage = 3,
}

/// <summary>
/// A page-table entry, at PTE (4 KiB) or PMD (2 MiB, <see cref="IsHuge"/>) level.
/// </summary>
/// <remarks>
/// Layout: bit 0 present, bit 1 writable, bit 2 huge, bits 3-4 <see cref="PageKind"/>,
/// bits 12-63 the frame: a device pfn for <see cref="PageKind.Device"/>, a slot of the
/// mapping's anonymous pages for <see cref="PageKind.Anon"/>, zero for the zero pages.
/// Value 0 is pte_none. The hardware dirty bit is not modelled: DAX tracks dirtiness in the
/// mapping entry and write-protects on writeback, which is what this model checks.
/// </remarks>
public readonly record struct Pte(ulong Value)
{
    private const ulong Present = 1UL << 0;
    private const ulong Writable = 1UL << 1;
    private const ulong Huge = 1UL << 2;
    private const int KindShift = 3;
    private const ulong KindMask = 3UL << KindShift;
    private const int FrameShift = 12;

    public static readonly Pte None = default;

    public static Pte Make(PageKind kind, long frame, bool writable, bool huge)
    {
        Invariant.Holds(kind is not (PageKind.ZeroPage or PageKind.HolePage) || !writable, "zero and hole pages are never mapped writable");
        Invariant.Holds(kind != PageKind.HolePage || !huge, "hole pages are 4 KiB pages");
        Invariant.Holds(kind != PageKind.Anon || !huge, "private copies are 4 KiB pages");
        return new(Present | (writable ? Writable : 0) | (huge ? Huge : 0) | ((ulong)kind << KindShift) | ((ulong)frame << FrameShift));
    }

    public bool IsNone => Value == 0;
    public bool IsPresent => (Value & Present) != 0;
    public bool IsWritable => (Value & Writable) != 0;
    public bool IsHuge => (Value & Huge) != 0;
    public PageKind Kind => (PageKind)((Value & KindMask) >> KindShift);
    public long Frame => (long)(Value >> FrameShift);

    public Pte WriteProtected => new(Value & ~Writable);
    public Pte MadeWritable => new(Value | Writable);

    // Stryker disable all : text for traces and messages, which no engine behaviour reads (docs/checker.md)
    public override string ToString() => IsNone ? "none" :
        $"{(IsHuge ? "pmd" : "pte")} {Kind} {Frame} {(IsWritable ? "rw" : "ro")}";
    // Stryker restore all
}
