using CsCheck;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

/// <summary>
/// Scenario files that must be refused, and refused well: the kept corpus (each file's first line
/// says `# expect: FRAGMENT`, a part of the one error it must give), the command line's exit
/// status and output, and mutated text that must never escape as anything but
/// <see cref="ScenarioFileException"/>.
/// </summary>
public class MalformedScenarioTests
{
    /// <summary>Where the build copies the corpus (tests/DaxLab.Tests/Check/MalformedScenarios).</summary>
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Check", "MalformedScenarios");

    private const string ExpectPrefix = "# expect: ";

    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(CorpusDirectory, "*.scn").Order())
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Each_malformed_scenario_is_refused_with_its_line_and_reason(string name)
    {
        string text = File.ReadAllText(Path.Combine(CorpusDirectory, name));
        string expected = text.Split('\n')[0];
        Assert.StartsWith(ExpectPrefix, expected);
        var error = Assert.Throws<ScenarioFileException>(() => ParseAndValidate(text, name));
        Assert.Contains(expected[ExpectPrefix.Length..].Trim(), error.Message);
    }

    [Fact]
    public void The_corpus_is_there()
    {
        Assert.True(Corpus().Count >= 20, $"expected the malformed scenarios in {CorpusDirectory}");
    }

    [Fact]
    public void The_command_line_prints_the_error_and_a_hint_and_exits_2()
    {
        string path = Path.Combine(CorpusDirectory, "byte-past-0xff.scn");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int status = CheckCommand.Run(["--scenario", path, "--seconds", "1"], stdout, stderr);
        Assert.Equal(CheckCommand.ScenarioFileExitCode, status);
        string[] lines = stderr.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{path}:12: check: bad byte '0x1ff'", lines[0]);
        Assert.Equal(CheckCommand.ScenarioFileHint, lines[1]);
        Assert.Equal("", stdout.ToString());
    }

    /// <summary>Words a mutation inserts: the language's own, and what breaks numbers and sections.</summary>
    private static readonly string[] Tokens =
    [
        "\n", "    ", "\t", "#", ":", "=", "-", "-Z", "-1", "-M", "-B", "-S", "-p", "-rw", "0", "1", "4k", "2m",
        "0x1ff", "0x", "16e", "9223372036854775807", "abc", "99", "scenario x", "title t", "setup:", "cpu z:",
        "check:", "size", "bytes", "pwrite", "pread", "mmap", "mread", "mwrite", "msync", "munmap", "madvise",
        "truncate", "falloc", "fpunch", "fzero", "fsync", "é", "\u0000",
    ];

    /// <summary>
    /// Built-in scenarios and the corpus, mutated one to four times (a token inserted, a span
    /// deleted, a line duplicated or dropped), through the parser and the validating run: either
    /// accepted or refused with <see cref="ScenarioFileException"/>, never another exception.
    /// </summary>
    [Fact]
    public void Mutated_scenarios_are_accepted_or_refused_with_ScenarioFileException_only()
    {
        var seeds = BuiltInTexts().Concat(Directory.GetFiles(CorpusDirectory, "*.scn").Select(File.ReadAllText)).ToArray();
        var mutation = Gen.Int[0, 3].SelectMany(kind => Gen.Int[0, int.MaxValue].SelectMany(at => Gen.Int[1, 40]
            .SelectMany(length => Gen.Int[0, Tokens.Length - 1].Select(token => (kind, at, length, token)))));
        var gen = Gen.Select(Gen.Int[0, seeds.Length - 1], mutation.Array[1, 4], (seed, edits) => edits.Aggregate(seeds[seed], Mutate));
        gen.Sample(text =>
        {
            try
            {
                ParseAndValidate(text, "fuzz.scn");
            }
            catch (ScenarioFileException)
            {
                // The documented refusal.
            }
        }, iter: 400, threads: 1);
    }

    private static string Mutate(string text, (int Kind, int At, int Length, int Token) edit)
    {
        int at = text.Length == 0 ? 0 : edit.At % text.Length;
        var lines = text.Split('\n').ToList();
        int line = edit.At % lines.Count;
        switch (edit.Kind)
        {
            case 0:
                return text.Insert(at, " " + Tokens[edit.Token]);
            case 1:
                return text.Remove(at, Math.Min(edit.Length, text.Length - at));
            case 2:
                lines.Insert(line, lines[line]);
                return string.Join('\n', lines);
            default:
                lines.RemoveAt(line);
                return string.Join('\n', lines);
        }
    }

    private static IEnumerable<string> BuiltInTexts()
    {
        var assembly = typeof(BuiltInScenarios).Assembly;
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".scn")))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return reader.ReadToEnd();
        }
    }

    private static void ParseAndValidate(string text, string origin) =>
        ScenarioRunner.Validate(Scenario.Parse(text, origin), origin);
}
