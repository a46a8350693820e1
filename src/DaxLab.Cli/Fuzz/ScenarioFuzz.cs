using System.Text;
using DaxLab.Scenarios;

namespace DaxLab.Cli.Fuzz;

/// <summary>
/// `daxlab fuzz --target scenario`: the built-in scenario files, mutated one to six times (a
/// word of the language or of trouble inserted, a span deleted, a line duplicated or dropped,
/// a random byte), through the parser and the validating run: accepted, or refused with a
/// <see cref="ScenarioFileException"/> naming the line; never another exception.
/// </summary>
public sealed class ScenarioFuzz : IFuzzTarget
{
    /// <summary>Words a mutation inserts: the language's own, and what breaks numbers and sections.</summary>
    private static readonly string[] Words =
    [
        "\n", "    ", "\t", "#", ":", "=", "-", "-Z", "-1", "-M", "-B", "-S", "-p", "-rw", "-d", "0", "1", "4k", "2m", "3m",
        "0x1ff", "0x", "16e", "9223372036854775807", "-9223372036854775808", "abc", "99", "scenario x", "title t", "setup:",
        "cpu 1:", "cpu 3:", "cpu z:", "check:", "size", "bytes", "pwrite", "pread", "mmap", "mread", "mwrite", "msync", "munmap",
        "madvise", "truncate", "falloc", "fpunch", "fzero", "fsync", "é", "\u0000", "\r", "\"", "[", "]",
    ];

    private static readonly Lazy<string[]> Seeds = new(() =>
    {
        var assembly = typeof(BuiltInScenarios).Assembly;
        return assembly.GetManifestResourceNames().Where(n => n.EndsWith(".scn")).Order().Select(name =>
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            return reader.ReadToEnd();
        }).ToArray();
    });

    public string Name => "scenario";

    public string Extension => "scn";

    public byte[] Generate(Random random)
    {
        string text = Seeds.Value[random.Next(Seeds.Value.Length)];
        int edits = random.Next(1, 7);
        for (int i = 0; i < edits; i++)
            text = Mutate(text, random);
        return Encoding.UTF8.GetBytes(text);
    }

    public FuzzResult Run(byte[] input)
    {
        const string origin = "fuzz.scn";
        try
        {
            ScenarioRunner.Validate(Scenario.Parse(Encoding.UTF8.GetString(input), origin), origin);
        }
        catch (ScenarioFileException refused)
        {
            return refused.Message.StartsWith(origin + ":") ? FuzzResult.Passed("refused", refused.Message) : FuzzResult.Failed($"refusal does not name the file and line: {refused.Message}");
        }
        return FuzzResult.Passed("accepted");
    }

    private static string Mutate(string text, Random random)
    {
        int at = text.Length == 0 ? 0 : random.Next(text.Length);
        var lines = text.Split('\n').ToList();
        int line = random.Next(lines.Count);
        switch (random.Next(5))
        {
            case 0:
                return text.Insert(at, " " + Words[random.Next(Words.Length)]);
            case 1:
                return text.Remove(at, Math.Min(random.Next(1, 41), text.Length - at));
            case 2:
                lines.Insert(line, lines[line]);
                return string.Join('\n', lines);
            case 3:
                lines.RemoveAt(line);
                return string.Join('\n', lines);
            default:
                return text.Insert(at, ((char)random.Next(1, 128)).ToString());
        }
    }
}
