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
    /// Designs outside the default matrix (<see cref="All"/>, what `daxlab check` runs without
    /// --design): chosen by name only. v6's proofs of the writeback scenarios need more than the
    /// matrix's shared budget (docs/designs.md).
    /// </summary>
    public static IReadOnlyList<Design> Selectable { get; } = [new V6()];

    /// <summary>Every design, the default matrix's first.</summary>
    public static IEnumerable<Design> Everything => All.Concat(Selectable);

    /// <summary>The design called <paramref name="name"/>; ArgumentException listing the names otherwise.</summary>
    public static Design Find(string name) =>
        Everything.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"no design named '{name}'; the designs are: {string.Join(", ", Everything.Select(d => d.Name))}");
}
