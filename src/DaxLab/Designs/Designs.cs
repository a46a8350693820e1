namespace DaxLab.Designs;

/// <summary>The designs by name, for <c>--design</c> and <c>daxlab designs</c>.</summary>
public static class DesignCatalog
{
    public static Design Default { get; } = new V412();

    public static IReadOnlyList<Design> All { get; } =
    [
        new V410(),
        new RossV1(),
        Default,
        new V414(),
        new MmapSem(),
        new RangeLockDesign(),
        new RwEntryLocks(),
    ];

    /// <summary>
    /// The ext4 flavour's designs (docs/designs.md, "ext4's transaction order"): outside the
    /// default matrix, whose scenarios are the XFS-like file system's; run with --design.
    /// </summary>
    public static IReadOnlyList<Design> Ext4 { get; } = [new Ext4V411(), new Ext4V411EntryFirst(), new Ext4V412()];

    /// <summary>
    /// Other designs outside the default matrix: chosen by name only. v6's proofs of the
    /// writeback scenarios need more than the matrix's shared budget (docs/designs.md).
    /// </summary>
    public static IReadOnlyList<Design> Selectable { get; } = [new V6()];

    /// <summary>Every design <c>--design</c> accepts and <c>daxlab designs</c> lists: the matrix's, then those outside it.</summary>
    public static IEnumerable<Design> Listed => All.Concat(Ext4).Concat(Selectable);

    /// <summary>
    /// The variants of real bugs (docs/history.md), for `daxlab history`: outside the default
    /// matrix and not in <see cref="Listed"/>; `daxlab designs` lists them apart, --design takes them.
    /// </summary>
    public static IReadOnlyList<Design> Historical => HistoricalDesigns.All;

    /// <summary>The design called <paramref name="name"/>; ArgumentException listing the names otherwise.</summary>
    public static Design Find(string name) =>
        Listed.Concat(Historical).FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"no design named '{name}'; the designs are: {string.Join(", ", Listed.Select(d => d.Name))}");
}
