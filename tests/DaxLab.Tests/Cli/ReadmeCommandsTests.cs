using System.Text;
using System.Text.RegularExpressions;
using DaxLab.Cli;
using DaxLab.Io;
using DaxLab.Scenarios;
using Xunit;

namespace DaxLab.Tests.Cli;

/// <summary>
/// The README's commands against the CLI, so that drift fails here: every `daxlab` command in
/// its shell blocks and inline code names a verb the dispatch knows, options that verb's
/// `--help` lists, and designs and built-in scenarios that exist; the cheap ones (listings,
/// --help, --version, the example's replay) run, and the example diagram is what its token replays.
/// </summary>
public sealed partial class ReadmeCommandsTests
{
    private static readonly string Root = FindRoot();
    private static readonly string Readme = File.ReadAllText(Path.Combine(Root, "README.md"));

    public static TheoryData<string> DaxlabCommands => [.. Commands().Where(c => c.StartsWith("daxlab")).Distinct()];

    public static TheoryData<string> DotnetCommands => [.. Commands().Where(c => c.StartsWith("dotnet ")).Distinct()];

    [Fact]
    public void TheReadmeHasCommandsToCheck()
    {
        var commands = Commands().ToList();
        Assert.True(commands.Count(c => c.StartsWith("daxlab")) >= 20, "fewer than 20 daxlab commands found in README.md");
        Assert.Contains(commands, c => c.StartsWith("dotnet tool install"));
    }

    [Theory]
    [MemberData(nameof(DaxlabCommands))]
    public void EveryDaxlabCommandNamesWhatExists(string command)
    {
        var words = Words(command);
        if (words.Count == 1)
            return;
        string verb = words[1];
        if (verb == "--version" || IsPlaceholder(verb))
            return;
        Assert.True(TopLevel.Verbs.Contains(verb), $"README: '{command}': no verb '{verb}' (the verbs: {string.Join(", ", TopLevel.Verbs)})");
        string usage = Help(verb);
        for (int i = 2; i < words.Count; i++)
        {
            string word = words[i].Trim('[', ']');
            if (word.StartsWith('-') && word.Length > 1 && !char.IsDigit(word[1]))
                Assert.True(Regex.IsMatch(usage, $@"(?<![\w-]){Regex.Escape(word)}(?![\w-])"), $"README: '{command}': `daxlab {verb} --help` lists no {word}");
            string? value = i + 1 < words.Count ? words[i + 1] : null;
            if (word == "--design" && value is not null && !IsPlaceholder(value))
                Assert.All(value.Split(','), d => Assert.Contains(d, Designs.DesignCatalog.Listed.Select(l => l.Name), StringComparer.OrdinalIgnoreCase));
            if (word == "--scenario" && value is not null && !IsPlaceholder(value) && !value.EndsWith(".scn"))
                Assert.Contains(BuiltInScenarios.Listed, s => s.Name == value);
        }
    }

    [Theory]
    [MemberData(nameof(DaxlabCommands))]
    public void TheCheapCommandsRun(string command)
    {
        var words = Words(command);
        bool cheap = words.Count >= 2 && (words[1] is "designs" or "scenarios" or "help" or "--version" || words.Contains("--help"));
        if (!cheap || words.Skip(1).Any(IsPlaceholder))
            return;
        var (status, stdout, stderr) = Run([.. words.Skip(1)]);
        Assert.True(status == 0, $"README: '{command}' exits {status}: {stderr}");
        Assert.NotEmpty(stdout);
    }

    [Theory]
    [MemberData(nameof(DotnetCommands))]
    public void EveryDotnetCommandNamesFilesThatExist(string command)
    {
        var words = Words(command);
        for (int i = 1; i < words.Count; i++)
        {
            if (words[i] == "--project")
                Assert.True(Directory.Exists(Path.Combine(Root, words[i + 1])), $"README: '{command}': no project folder {words[i + 1]}");
            if (words[i].EndsWith(".slnx"))
                Assert.True(File.Exists(Path.Combine(Root, words[i])), $"README: '{command}': no {words[i]}");
        }
        if (words is [_, "tool", "install", ..])
            Assert.Contains("daxlab", words);
    }

    /// <summary>The example failure in "What daxlab check says": its token replays the diagram shown above it.</summary>
    [Fact]
    public void TheExampleDiagramIsWhatItsTokenReplays()
    {
        var block = FencedBlocks().Single(b => b.Body.Contains("\nreplay: daxlab check --replay ")).Body;
        string token = ReplayLine().Match(block).Groups[1].Value;

        var replay = ScenarioChecker.Replay(token);

        Assert.False(replay.Passed);
        Assert.Contains($"{replay.Kind}: {replay.Message}\n", block);
        Assert.Contains(replay.Diagram.Text, block);
        var (status, stdout, _) = Run("check", "--replay", token);
        Assert.Equal(1, status);
        Assert.Contains(replay.Diagram.Text, stdout);
    }

    [Fact]
    public void TheExitCodesTableSaysWhatTheCliDoes()
    {
        Assert.Contains("| 2 | bad usage", Readme);
        Assert.Equal(TopLevel.UsageExitCode, Run("no-such-verb").Status);
        Assert.Contains("| 1 | a failing verdict", Readme);
    }

    /// <summary>Every command line of the README: the shell blocks' lines (continuations joined) and the inline code that starts with daxlab.</summary>
    private static IEnumerable<string> Commands()
    {
        foreach (var (language, body) in FencedBlocks().Where(b => b.Language == "sh"))
        {
            foreach (string line in body.Replace("\\\n", " ").Split('\n'))
            {
                string command = StripComment(line).Trim();
                if (command.StartsWith("daxlab") || command.StartsWith("dotnet "))
                    yield return Regex.Replace(command, @"\s+", " ");
            }
        }
        string prose = FencedBlock().Replace(Readme, "");
        foreach (Match inline in InlineDaxlab().Matches(prose))
            yield return inline.Groups[1].Value;
    }

    private static IEnumerable<(string Language, string Body)> FencedBlocks() =>
        FencedBlock().Matches(Readme).Select(m => (m.Groups[1].Value, m.Groups[2].Value));

    /// <summary>The line up to an unquoted '#' that starts a word: the shell's comment.</summary>
    private static string StripComment(string line)
    {
        char? quote = null;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote is not null)
                quote = c == quote ? null : quote;
            else if (c is '"' or '\'')
                quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                return line[..i];
        }
        return line;
    }

    /// <summary>The shell's words of a command line: spaces split, quotes group and are removed.</summary>
    private static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char? quote = null;
        bool any = false;
        foreach (char c in command)
        {
            if (quote is not null && c == quote)
                quote = null;
            else if (quote is null && c is '"' or '\'')
                (quote, any) = (c, true);
            else if (quote is null && char.IsWhiteSpace(c))
            {
                if (any)
                    words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else
                (_, any) = (word.Append(c), true);
        }
        if (any)
            words.Add(word.ToString());
        return words;
    }

    /// <summary>A word the README writes for the reader to fill in: TOKEN, FILE, VERB, A.json, ...</summary>
    private static bool IsPlaceholder(string word) =>
        word == "..." || (word.Any(char.IsLetter) && word.Where(char.IsLetter).All(char.IsUpper)) || Regex.IsMatch(word, @"^[A-Z]\.json$");

    private static string Help(string verb)
    {
        var (status, stdout, _) = Run(verb, "--help");
        Assert.Equal(0, status);
        return verb == "check" || verb == "help" ? stdout + TopLevel.Usage : stdout;
    }

    private static (int Status, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = TopLevel.Run(args, stdout, stderr, CBuffering.Full, out _);
        return (status, stdout.ToString(), stderr.ToString());
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "DaxLab.slnx")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"no DaxLab.slnx above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^```(\w*)\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"`(daxlab(?: [^`]+)?)`")]
    private static partial Regex InlineDaxlab();

    [GeneratedRegex(@"\nreplay: daxlab check --replay (\S+)")]
    private static partial Regex ReplayLine();
}
