using DaxLab.Io;

namespace DaxLab.Scenarios;

/// <summary>
/// A scenario command split into its flags and its operands, every one checked: known flags,
/// values where a flag takes one, the right number of operands, each a number in xfs_io's forms
/// inside the scenario's device. Built once when the file is read, so a mistake is reported with
/// its line before any design runs, and again by each run, which then cannot meet one.
/// </summary>
internal sealed record ScenarioCommand(string Verb, IReadOnlyDictionary<char, string> Flags, IReadOnlyList<long> Operands, string Text)
{
    public bool Has(char flag) => Flags.ContainsKey(flag);

    /// <summary>The value of a flag that takes one, or null when the flag is absent.</summary>
    public string? Value(char flag) => Flags.GetValueOrDefault(flag);

    public long Offset => Operands[0];

    public long Length => Operands[1];
}

/// <summary>
/// The scenario language's commands: their flags (getopt's notation, ':' after a flag that takes
/// a value) and the operand lists each accepts. See docs/scenarios.md.
/// </summary>
internal static class ScenarioSyntax
{
    /// <summary>
    /// The largest offset, length or size a scenario may name: the device each run gets. A file
    /// larger than its device is read whole at every run's start (the initial bytes the atomicity
    /// checks compare with), so a larger number is a mistake, not a test of EFBIG.
    /// </summary>
    public const long MaxBytes = ScenarioWorld.DeviceSize;

    private static readonly string[] OffsetLength = ["offset", "length"];

    private sealed record Form(string Flags, string[][] Operands, string Usage);

    private static readonly Dictionary<string, Form> Forms = new()
    {
        ["pwrite"] = new("S:M:B:", [OffsetLength], "pwrite [-S seed] [-M N [-B boff]] off len"),
        ["pread"] = new("M:B:", [OffsetLength], "pread [-M N [-B boff]] off len"),
        ["mmap"] = new("rwxp", [OffsetLength, ["mapping number"]], "mmap [-r] [-w] [-x] [-p] off len, or mmap N"),
        ["mread"] = new("", [[], OffsetLength], "mread [off len]"),
        ["mwrite"] = new("S:", [OffsetLength], "mwrite [-S seed] off len"),
        ["msync"] = new("sai", [[], OffsetLength], "msync [-s|-a] [-i] [off len]"),
        ["munmap"] = new("", [[]], "munmap"),
        ["madvise"] = new("d", [OffsetLength], "madvise -d off len"),
        ["truncate"] = new("", [["size"]], "truncate size"),
        ["falloc"] = new("k", [OffsetLength], "falloc [-k] off len"),
        ["fpunch"] = new("", [OffsetLength], "fpunch off len"),
        ["fzero"] = new("k", [OffsetLength], "fzero [-k] off len"),
        ["pin"] = new("", [OffsetLength], "pin off len"),
        ["unpin"] = new("", [[]], "unpin"),
        ["fsync"] = new("", [[]], "fsync"),
        ["fdatasync"] = new("", [[]], "fdatasync"),
    };

    /// <summary>Splits and checks one command; <see cref="ScenarioError"/> says what was found and what was expected.</summary>
    public static ScenarioCommand Parse(string text)
    {
        string[] words = LineSplitter.Split(text);
        if (words.Length == 0)
            throw new ScenarioError("an empty command");
        if (!Forms.TryGetValue(words[0], out var form))
            throw new ScenarioError($"'{words[0]}' is not a scenario command (expected one of {string.Join(", ", Forms.Keys)})");
        var (flags, operandWords) = SplitFlags(words, form);
        var names = form.Operands.FirstOrDefault(o => o.Length == operandWords.Count)
            ?? throw new ScenarioError($"'{text}' has {operandWords.Count} operand(s) (expected {form.Usage})");
        var operands = operandWords.Select((w, i) => Operand(w, names[i])).ToList();
        var command = new ScenarioCommand(words[0], flags, operands, text);
        CheckCombination(command, form);
        return command;
    }

    /// <summary>
    /// Flags may come before or between operands, as getopt permutes them; a word such as "-1" is a
    /// negative number, not a flag, and is refused as the operand it stands for.
    /// </summary>
    private static (Dictionary<char, string> Flags, List<string> Operands) SplitFlags(string[] words, Form form)
    {
        var flags = new Dictionary<char, string>();
        var operands = new List<string>();
        for (int i = 1; i < words.Length; i++)
        {
            string word = words[i];
            if (word.Length < 2 || word[0] != '-' || char.IsDigit(word[1]))
            {
                operands.Add(word);
                continue;
            }
            for (int at = 1; at < word.Length; at++)
            {
                char letter = word[at];
                int spec = form.Flags.IndexOf(letter);
                if (spec < 0 || letter == ':')
                    throw new ScenarioError($"unknown flag -{letter} in '{string.Join(' ', words)}' (expected {form.Usage})");
                if (spec + 1 < form.Flags.Length && form.Flags[spec + 1] == ':')
                {
                    string value = at + 1 < word.Length ? word[(at + 1)..]
                        : ++i < words.Length ? words[i]
                        : throw new ScenarioError($"-{letter} needs a value in '{string.Join(' ', words)}' (expected {form.Usage})");
                    flags[letter] = value;
                    break;
                }
                flags[letter] = "";
            }
        }
        return (flags, operands);
    }

    /// <summary>A number in xfs_io's forms, at least 0 and at most <see cref="MaxBytes"/>; <paramref name="what"/> names it in the error.</summary>
    public static long Operand(string text, string what)
    {
        if (text.StartsWith('-') && text.Length > 1 && char.IsDigit(text[1]))
            throw new ScenarioError($"negative {what} '{text}' (expected a number ≥ 0 such as 4k, 2m or 0x1000)");
        if (!CNumbers.TryCvtnumExact(text, out long value))
            throw new ScenarioError($"bad number '{text}' for the {what} (expected a number such as 4k, 2m or 0x1000)");
        if (what == "mapping number")
            return value <= int.MaxValue ? value : throw new ScenarioError($"mapping number '{text}' is beyond any mapping (expected 0, 1, ...)");
        return value <= MaxBytes ? value
            : throw new ScenarioError($"{what} '{text}' is past the scenario's {MaxBytes >> 20} MiB device (expected at most {MaxBytes >> 20}m)");
    }

    /// <summary>A byte value: the fill of -S or the expected byte of a check, 0 to 255.</summary>
    public static byte Byte(string text, string what)
    {
        if (CNumbers.TryCvtnumExact(text, out long value) && value <= byte.MaxValue)
            return (byte)value;
        throw new ScenarioError($"bad {what} '{text}' (expected a byte value from 0 to 0xff, such as 0x48)");
    }

    /// <summary>What the flags and operands mean together: the checks no single word shows.</summary>
    private static void CheckCombination(ScenarioCommand command, Form form)
    {
        if (command.Operands.Count == 2 && command.Offset + command.Length > MaxBytes)
            throw new ScenarioError($"'{command.Text}' ends past the scenario's {MaxBytes >> 20} MiB device (expected offset + length ≤ {MaxBytes >> 20}m)");
        if (command.Verb == "mmap" && command.Operands.Count == 1 && command.Flags.Count > 0)
            throw new ScenarioError($"'{command.Text}' selects a mapping, which takes no flags (expected {form.Usage})");
        if (command.Verb == "madvise" && !command.Has('d'))
            throw new ScenarioError($"'{command.Text}' lacks -d, the only advice a scenario gives (expected {form.Usage})");
        if (command.Has('S'))
            Byte(command.Value('S')!, "seed");
        if (command.Has('B') && !command.Has('M'))
            throw new ScenarioError($"'{command.Text}': -B names an offset inside the mapping that -M selects (expected -M N with -B)");
        if (command.Has('M') && command.Has('S'))
            throw new ScenarioError($"'{command.Text}': -S fills a buffer of its own, -M takes the mapping's bytes (expected one of them)");
        if (command.Value('M') is { } index && !int.TryParse(index, out _))
            throw new ScenarioError($"'{command.Text}': -M takes a mapping number, not '{index}' (expected 0, 1, ...)");
        if (command.Value('B') is { } at)
            Operand(at, "buffer offset");
    }

    /// <summary>
    /// A `check:` line: `size N`, `bytes OFF LEN = BYTE` or `mbytes N OFF LEN = BYTE`, with LEN
    /// at least 1 and the range inside the device.
    /// </summary>
    public static ScenarioCheck ParseCheck(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words is ["size", var size])
            return new ScenarioCheck(text, Operand(size, "size"), 0, 0);
        int mapping = -1;
        if (words is ["mbytes", var number, .. var rest])
        {
            if (!int.TryParse(number, out mapping) || mapping < 0)
                throw new ScenarioError($"check '{text}': mbytes takes a mapping number, not '{number}' (expected 0, 1, ...)");
            words = ["bytes", .. rest];
        }
        if (words is not ["bytes", var off, var len, "=", var value])
            throw new ScenarioError($"check '{text}' is none of 'size N', 'bytes OFF LEN = BYTE', 'mbytes N OFF LEN = BYTE'");
        long offset = Operand(off, "offset"), length = Operand(len, "length");
        if (length == 0 || offset + length > MaxBytes)
            throw new ScenarioError($"check '{text}' reads {length} bytes at {offset} (expected 1 byte or more, inside the {MaxBytes >> 20} MiB device)");
        return new ScenarioCheck(text, offset, (int)length, Byte(value, "byte"), mapping);
    }
}

/// <summary>
/// One parsed check: `size N` (Length 0, Offset the size), `bytes OFF LEN = BYTE` (Mapping -1)
/// or `mbytes N OFF LEN = BYTE` (Mapping N).
/// </summary>
internal sealed record ScenarioCheck(string Text, long Offset, int Length, byte Value, int Mapping = -1)
{
    public bool IsSize => Length == 0;

    public bool ThroughMapping => Mapping >= 0;
}
