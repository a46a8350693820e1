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

    /// <summary>The design called <paramref name="name"/>; ArgumentException listing the names otherwise.</summary>
    public static Design Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"no design named '{name}'; the designs are: {string.Join(", ", All.Select(d => d.Name))}");
}
