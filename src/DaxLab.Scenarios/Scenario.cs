namespace DaxLab.Scenarios;

/// <summary>
/// A scenario: setup commands, two or more CPUs each running xfs_io commands, and the checks to
/// make at the end besides the oracle's. See docs/scenarios.md for the text format. Each command
/// keeps the number of its line in the file, so that a run that finds it cannot be done names it.
/// <see cref="ScenarioChecker.Load"/> reads one from text.
/// </summary>
/// <param name="Name">The scenario's name (its <c>scenario NAME</c> line), as replay tokens and the matrix name it.</param>
/// <param name="Title">One line saying what races what.</param>
/// <param name="Setup">The commands run alone before the CPUs start.</param>
/// <param name="Cpus">The CPUs, each with its commands.</param>
/// <param name="Checks">The checks of the end state besides the oracle's (<c>size N</c>, <c>bytes OFF LEN = BYTE</c>).</param>
/// <param name="Origin">Where the text came from (a file's path), as error messages and replay commands name it.</param>
/// <param name="SetupLines">The line number of each setup command.</param>
/// <param name="CheckLines">The line number of each check.</param>
public sealed record Scenario(
    string Name,
    string Title,
    IReadOnlyList<string> Setup,
    IReadOnlyList<ScenarioCpu> Cpus,
    IReadOnlyList<string> Checks,
    string Origin,
    IReadOnlyList<int> SetupLines,
    IReadOnlyList<int> CheckLines)
{
    /// <summary>The most CPUs a scenario may have: each one multiplies the interleavings to explore.</summary>
    public const int MaxCpus = 4;

    /// <summary>
    /// Parses the text form and checks every command's syntax; <see cref="ScenarioFileException"/>
    /// names the line of the first problem, what was found there and what was expected.
    /// </summary>
    public static Scenario Parse(string text, string origin)
    {
        var reader = new ScenarioReader(origin);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            reader.Read(StripComment(lines[i]).TrimEnd(), i + 1);
        return reader.Finish(lines.Length);
    }

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }
}

/// <summary>One CPU of a scenario: its label ("write(2)", "read fault"), commands, and their line numbers.</summary>
/// <param name="Label">What the CPU does, the diagram's column heading.</param>
/// <param name="Commands">Its xfs_io-style commands, in order.</param>
/// <param name="Lines">The line number of each command.</param>
public sealed record ScenarioCpu(string Label, IReadOnlyList<string> Commands, IReadOnlyList<int> Lines);

/// <summary>
/// A scenario file that cannot be run: the file, the line, what is wrong there and what was
/// expected. The only exception <see cref="Scenario.Parse"/> and <see cref="ScenarioRunner.Validate"/>
/// let out for bad text; `daxlab check` prints it alone and exits 2.
/// </summary>
/// <param name="origin">The file (or the origin given to <see cref="ScenarioChecker.Load"/>).</param>
/// <param name="line">The line at fault, from 1.</param>
/// <param name="problem">What is wrong there and what was expected.</param>
public sealed class ScenarioFileException(string origin, int line, string problem)
    : FormatException($"{origin}:{line}: {problem}");

/// <summary>
/// The state of <see cref="Scenario.Parse"/> as it goes down the file: the heading lines seen
/// and the section that indented commands join.
/// </summary>
internal sealed class ScenarioReader(string origin)
{
    private string? name, title;
    private int setupLine, checkLine;
    private readonly List<string> setup = [], checks = [];
    private readonly List<int> setupLines = [], checkLines = [];
    private readonly List<ScenarioCpu> cpus = [];
    private readonly List<int> cpuLines = [];
    private (string Name, List<string> Commands, List<int> Lines)? section;

    public void Read(string line, int number)
    {
        if (line.Trim().Length == 0)
            return;
        if (char.IsWhiteSpace(line[0]))
            AddCommand(line.Trim(), number);
        else
            StartSection(line, number);
    }

    /// <summary>An indented line: a command of the current section, its syntax checked now.</summary>
    private void AddCommand(string command, int number)
    {
        if (section is not { } current)
            throw Error(number, $"a command outside any section: '{command}' (expected it indented under setup:, cpu LABEL: or check:)");
        var (heading, commands, lines) = current;
        try
        {
            if (ReferenceEquals(commands, checks))
                ScenarioSyntax.ParseCheck(command);
            else
                ScenarioSyntax.Parse(command);
        }
        catch (ScenarioError error)
        {
            throw Error(number, $"{heading}: {error.Message}");
        }
        commands.Add(command);
        lines.Add(number);
    }

    /// <summary>A heading line; each of scenario, title, setup: and check: at most once.</summary>
    private void StartSection(string line, int number)
    {
        if (line.StartsWith("scenario ") && line[9..].Trim() is { Length: > 0 } scenarioName)
        {
            name = name is null ? scenarioName : throw Twice(number, "scenario NAME");
            section = null;
        }
        else if (line.StartsWith("title ") && line[6..].Trim() is { Length: > 0 } scenarioTitle)
        {
            title = title is null ? scenarioTitle : throw Twice(number, "title TEXT");
            section = null;
        }
        else if (line == "setup:")
        {
            setupLine = setupLine == 0 ? number : throw Twice(number, "setup:");
            section = ("setup", setup, setupLines);
        }
        else if (line == "check:")
        {
            checkLine = checkLine == 0 ? number : throw Twice(number, "check:");
            section = ("check", checks, checkLines);
        }
        else if (line.StartsWith("cpu ") && line.EndsWith(':') && line[4..^1].Trim() is { Length: > 0 } label)
            StartCpu(label, number);
        else
            throw Error(number, $"found '{line}' (expected 'scenario NAME', 'title TEXT', 'setup:', 'cpu LABEL:', 'check:', or an indented command)");
    }

    private void StartCpu(string label, int number)
    {
        if (cpus.Count == Scenario.MaxCpus)
            throw Error(number, $"a {Scenario.MaxCpus + 1}th CPU, '{label}' (expected 2 to {Scenario.MaxCpus} CPUs)");
        var cpu = new ScenarioCpu(label, new List<string>(), new List<int>());
        cpus.Add(cpu);
        cpuLines.Add(number);
        section = ($"cpu {label}", (List<string>)cpu.Commands, (List<int>)cpu.Lines);
    }

    /// <summary>The whole file read: a name, 2 to MaxCpus CPUs, each with commands.</summary>
    public Scenario Finish(int lastLine)
    {
        if (name is null)
            throw Error(1, "no 'scenario NAME' line (expected one, before the sections)");
        if (cpus.Count < 2)
            throw Error(lastLine, $"the file ends with {cpus.Count} CPU section(s) (expected 2 to {Scenario.MaxCpus} 'cpu LABEL:' sections)");
        if (cpus.Select((c, i) => (c, i)).FirstOrDefault(p => p.c.Commands.Count == 0) is ({ } idle, int at))
            throw Error(cpuLines[at], $"cpu '{idle.Label}' has no commands (expected indented commands under it)");
        return new Scenario(name, title ?? name, setup, cpus, checks, origin, setupLines, checkLines);
    }

    private ScenarioFileException Error(int line, string problem) => new(origin, line, problem);

    private ScenarioFileException Twice(int line, string what) =>
        Error(line, $"a second '{what}' line (expected one per scenario)");
}

/// <summary>The scenarios that ship with DaxLab, embedded in the executable.</summary>
internal static class BuiltInScenarios
{
    /// <summary>The default matrix's scenarios.</summary>
    public static IReadOnlyList<Scenario> All { get; } = Load("DaxLab.Scenarios.BuiltIn.");

    /// <summary>
    /// Scenarios of the ext4 designs' journal (BuiltIn/Ext4), outside the default matrix like
    /// those designs: named with --scenario.
    /// </summary>
    public static IReadOnlyList<Scenario> Ext4 { get; } = Load("DaxLab.Scenarios.Ext4.");

    /// <summary>The scenarios of docs/history.md's real bugs (`daxlab history`), outside the default matrix.</summary>
    public static IReadOnlyList<Scenario> Historical { get; } = Load("DaxLab.Scenarios.History.");

    /// <summary>Every built-in scenario, the matrix's first.</summary>
    public static IEnumerable<Scenario> Listed => All.Concat(Ext4).Concat(Historical);

    public static bool IsBuiltIn(Scenario scenario) => Listed.Contains(scenario);

    /// <summary>A built-in scenario by name, of the matrix, the ext4 designs or the history corpus.</summary>
    public static Scenario Find(string name) =>
        Listed.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"no built-in scenario named '{name}'; `daxlab scenarios` lists them, or give a scenario file's path");

    private static List<Scenario> Load(string prefix)
    {
        var assembly = typeof(BuiltInScenarios).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".scn"))
            .Order()
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return Scenario.Parse(reader.ReadToEnd(), n);
            })
            .ToList();
    }
}
