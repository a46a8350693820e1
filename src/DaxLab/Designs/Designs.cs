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

    /// <summary>The variants of real bugs (docs/history.md), for `daxlab history`: outside the default matrix.</summary>
    public static IReadOnlyList<Design> Historical => HistoricalDesigns.All;

    /// <summary>The design called <paramref name="name"/>, of the matrix or a historical variant; ArgumentException listing the names otherwise.</summary>
    public static Design Find(string name) =>
        All.Concat(Historical).FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"no design named '{name}'; the designs are: {string.Join(", ", All.Select(d => d.Name))}");
}
