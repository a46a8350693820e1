namespace DaxLab.Tests.Architecture;

/// <summary>The engine's layers, bottom to top, and the one pair of them that name each other.</summary>
internal static class Layering
{
    /// <summary>Bottom to top: a namespace may name those before it here.</summary>
    public static readonly string[] Stack =
    [
        "DaxLab.Base", "DaxLab.Sync", "DaxLab.Device", "DaxLab.Fs", "DaxLab.Index", "DaxLab.Mm",
        "DaxLab.Dax", "DaxLab.Vfs", "DaxLab.Designs", "DaxLab",
    ];

    /// <summary>
    /// Namespaces beside the stack, each with all it may name; nothing in the stack may name
    /// them. The checker schedules whatever runs on the seam, the engine or a toy, so it knows
    /// only the seam.
    /// </summary>
    public static readonly Dictionary<string, string[]> Beside = new()
    {
        ["DaxLab.Checker"] = ["DaxLab.Base", "DaxLab.Sync"],
    };

    /// <summary>
    /// Upward edges the kernel has too, documented where declared: an address space lists the
    /// mappings of its file (AddressSpace.Mappings, the kernel's i_mmap).
    /// </summary>
    public static readonly (string From, string To)[] BackReferences = [("DaxLab.Index", "DaxLab.Mm")];

    /// <summary>Each edge of <paramref name="edges"/> that breaks the layering, named with its witness; empty when none does.</summary>
    public static List<string> Violations(IReadOnlyDictionary<(string From, string To), string> edges, (string From, string To)[] backReferences)
    {
        var problems = new List<string>();
        foreach (var ((from, to), witness) in edges.OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
        {
            string? why = Why(from, to, backReferences);
            if (why != null)
                problems.Add($"{from} -> {to}: {why} ({witness})");
        }
        return problems;
    }

    private static string? Why(string from, string to, (string From, string To)[] backReferences)
    {
        foreach (string ns in new[] { from, to })
            if (!Stack.Contains(ns) && !Beside.ContainsKey(ns))
                return $"{ns} is in no layer; place it in Layering.Stack or Layering.Beside";
        if (Beside.TryGetValue(from, out var allowed))
            return allowed.Contains(to) ? null : $"{from} may name only {string.Join(", ", allowed)}";
        if (Beside.ContainsKey(to))
            return $"the engine's layers may not name {to}, which stands beside them";
        if (Array.IndexOf(Stack, to) < Array.IndexOf(Stack, from) || backReferences.Contains((from, to)))
            return null;
        return $"{to} is above {from}; move the type to the layer that owns it";
    }
}
