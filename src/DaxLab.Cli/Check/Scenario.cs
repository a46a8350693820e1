namespace DaxLab.Cli.Check;

/// <summary>
/// A scenario: setup commands, two or more CPUs each running xfs_io commands, and the checks to
/// make at the end besides the oracle's. See docs/scenarios.md for the text format.
/// </summary>
public sealed record Scenario(
    string Name,
    string Title,
    IReadOnlyList<string> Setup,
    IReadOnlyList<ScenarioCpu> Cpus,
    IReadOnlyList<string> Checks,
    string Origin)
{
    /// <summary>The most CPUs a scenario may have: each one multiplies the interleavings to explore.</summary>
    public const int MaxCpus = 4;

    /// <summary>Parses the text form; <see cref="FormatException"/> names the line of the first problem.</summary>
    public static Scenario Parse(string text, string origin)
    {
        string? name = null, title = null;
        var setup = new List<string>();
        var cpus = new List<ScenarioCpu>();
        var checks = new List<string>();
        List<string>? section = null;
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string line = StripComment(raw).TrimEnd();
            if (line.Trim().Length == 0)
                continue;
            string where = $"{origin}:{number}";
            if (char.IsWhiteSpace(line[0]))
            {
                (section ?? throw new FormatException($"{where}: a command outside any section (setup:, cpu LABEL:, check:)")).Add(line.Trim());
                continue;
            }
            section = StartSection(line, where, ref name, ref title, setup, cpus, checks);
        }
        if (name is null)
            throw new FormatException($"{origin}: no 'scenario NAME' line");
        if (cpus.Count < 2 || cpus.Count > MaxCpus)
            throw new FormatException($"{origin}: a scenario has 2 to {MaxCpus} CPUs, this one has {cpus.Count}");
        if (cpus.FirstOrDefault(c => c.Commands.Count == 0) is { } idle)
            throw new FormatException($"{origin}: cpu '{idle.Label}' has no commands");
        return new Scenario(name, title ?? name, setup, cpus, checks, origin);
    }

    private static List<string>? StartSection(string line, string where, ref string? name, ref string? title,
        List<string> setup, List<ScenarioCpu> cpus, List<string> checks)
    {
        if (line.StartsWith("scenario "))
        {
            name = line["scenario ".Length..].Trim();
            return null;
        }
        if (line.StartsWith("title "))
        {
            title = line["title ".Length..].Trim();
            return null;
        }
        if (line == "setup:")
            return setup;
        if (line == "check:")
            return checks;
        if (line.StartsWith("cpu ") && line.EndsWith(':'))
        {
            var cpu = new ScenarioCpu(line[4..^1].Trim(), new List<string>());
            cpus.Add(cpu);
            return (List<string>)cpu.Commands;
        }
        throw new FormatException($"{where}: expected 'scenario NAME', 'title TEXT', 'setup:', 'cpu LABEL:' or 'check:', found '{line}'");
    }

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }
}

/// <summary>One CPU of a scenario: its label ("write(2)", "read fault") and commands.</summary>
public sealed record ScenarioCpu(string Label, IReadOnlyList<string> Commands);

/// <summary>The scenarios that ship with DaxLab, embedded in the executable.</summary>
public static class BuiltInScenarios
{
    public static IReadOnlyList<Scenario> All { get; } = Load();

    public static bool IsBuiltIn(Scenario scenario) => All.Contains(scenario);

    public static Scenario Find(string name) =>
        All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"no built-in scenario named '{name}'; `daxlab scenarios` lists them, or give a scenario file's path");

    private static List<Scenario> Load()
    {
        var assembly = typeof(BuiltInScenarios).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".scn"))
            .Order()
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return Scenario.Parse(reader.ReadToEnd(), n);
            })
            .ToList();
    }
}
