namespace DaxLab.Tests.Architecture;

/// <summary>
/// The engine's namespaces form layers (README, Layout): each names only those below it, apart
/// from the Index/Mm pair the kernel has too.
/// </summary>
public class LayeringTests
{
    private static Dictionary<(string From, string To), string> EngineGraph() =>
        NamespaceGraph.Read(typeof(DaxFileSystem).Assembly.Location, "DaxLab");

    [Fact]
    public void Engine_namespaces_name_only_the_layers_below_them()
    {
        var violations = Layering.Violations(EngineGraph(), Layering.BackReferences);
        Assert.True(violations.Count == 0, "upward dependencies:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Without_its_allowance_the_documented_back_reference_fails()
    {
        var violations = Layering.Violations(EngineGraph(), backReferences: []);
        Assert.Equal(
            ["DaxLab.Index -> DaxLab.Mm: DaxLab.Mm is above DaxLab.Index; move the type to the layer that owns it (DaxLab.Index.AddressSpace names DaxLab.Mm.VmArea)"],
            violations);
    }

    [Fact]
    public void Each_kind_of_upward_edge_is_named()
    {
        var edges = new Dictionary<(string From, string To), string>
        {
            [("DaxLab.Sync", "DaxLab.Base")] = "down",
            [("DaxLab.Mm", "DaxLab.Index")] = "down, the documented pair",
            [("DaxLab.Fs", "DaxLab.Vfs")] = "up",
            [("DaxLab.Checker", "DaxLab.Fs")] = "from beside",
            [("DaxLab.Dax", "DaxLab.Checker")] = "to beside",
            [("DaxLab.Fs", "DaxLab.Tools")] = "unplaced",
        };
        Assert.Equal(
            [
                "DaxLab.Checker -> DaxLab.Fs: DaxLab.Checker may name only DaxLab.Base, DaxLab.Sync (from beside)",
                "DaxLab.Dax -> DaxLab.Checker: the engine's layers may not name DaxLab.Checker, which stands beside them (to beside)",
                "DaxLab.Fs -> DaxLab.Tools: DaxLab.Tools is in no layer; place it in Layering.Stack or Layering.Beside (unplaced)",
                "DaxLab.Fs -> DaxLab.Vfs: DaxLab.Vfs is above DaxLab.Fs; move the type to the layer that owns it (up)",
            ],
            Layering.Violations(edges, Layering.BackReferences));
    }

    [Fact]
    public void The_graph_holds_what_method_bodies_name_but_not_constants()
    {
        const string samples = "DaxLab.Tests.Architecture.Samples";
        var edges = NamespaceGraph.Read(typeof(LayeringTests).Assembly.Location, samples);
        Assert.Equal(
            [$"{samples}.ByCall -> {samples}.Bottom", $"{samples}.ByCatch -> {samples}.Bottom", $"{samples}.ByTypeArgument -> {samples}.Bottom"],
            edges.Keys.Select(e => $"{e.From} -> {e.To}").Order(StringComparer.Ordinal));
    }
}
