using DaxLab.Designs;

namespace DaxLab.Scenarios;

/// <summary>A replay token for the command line: design, scenario and the checker's schedule token.</summary>
internal static class CliToken
{
    public static string Encode(Design design, Scenario scenario, string schedule) => $"{design.Name}:{scenario.Name}:{schedule}";

    /// <summary>Reads a token; its scenario is a built-in one or one of <paramref name="given"/> (from --scenario FILE).</summary>
    public static bool TryDecode(string token, IReadOnlyList<Scenario> given, out Design design, out Scenario scenario, out string schedule)
    {
        design = DesignCatalog.Default;
        scenario = null!;
        schedule = "";
        var parts = token.Split(':', 3);
        if (parts.Length != 3)
            return false;
        try
        {
            design = DesignCatalog.Find(parts[0]);
            scenario = given.FirstOrDefault(s => s.Name == parts[1]) ?? BuiltInScenarios.Find(parts[1]);
        }
        catch (ArgumentException)
        {
            return false;
        }
        schedule = parts[2];
        return true;
    }
}
