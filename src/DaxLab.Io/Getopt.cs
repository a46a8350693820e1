namespace DaxLab.Io;

/// <summary>One result of <see cref="Getopt"/>: an option letter with its argument, or an error.</summary>
public readonly record struct ParsedOption(char Letter, string? Argument)
{
    /// <summary>getopt's '?' return: the option was unknown or lacked its argument.</summary>
    public bool IsError => Letter == '?';
}

/// <summary>
/// GNU getopt(3) as xfs_io's commands see it: options may follow operands (the argument list is
/// permuted), "--" ends the options, clustered letters ("-vb1k") and attached or detached option
/// arguments work, and errors are reported on stderr in glibc's words, prefixed with argv[0].
/// </summary>
public sealed class Getopt
{
    readonly string[] argv;
    readonly string optionSpec;
    readonly TextWriter errors;
    readonly List<string> operands = new();
    int index = 1;
    int clusterPosition;
    bool optionsEnded;

    /// <summary>Parses argv[1..] (argv[0] is the command name) against a getopt option string.</summary>
    public Getopt(string[] argv, string optionSpec, TextWriter errors)
    {
        this.argv = argv;
        this.optionSpec = optionSpec;
        this.errors = errors;
    }

    /// <summary>The operands, in order, once <see cref="Next"/> has returned null.</summary>
    public IReadOnlyList<string> Operands => operands;

    /// <summary>The next option, or null when none are left (then <see cref="Operands"/> is complete).</summary>
    public ParsedOption? Next()
    {
        while (clusterPosition == 0)
        {
            if (index >= argv.Length)
                return null;
            string word = argv[index];
            if (optionsEnded || word.Length < 2 || word[0] != '-')
            {
                operands.Add(word);
                index++;
                continue;
            }
            if (word == "--")
            {
                optionsEnded = true;
                index++;
                continue;
            }
            clusterPosition = 1;
        }
        return NextInCluster();
    }

    /// <summary>Takes one letter of the current "-abc" word, with its argument if the spec asks for one.</summary>
    ParsedOption NextInCluster()
    {
        string word = argv[index];
        char letter = word[clusterPosition++];
        int specAt = letter == ':' ? -1 : optionSpec.IndexOf(letter);
        bool clusterDone = clusterPosition >= word.Length;
        if (specAt < 0)
        {
            EndClusterIf(clusterDone);
            errors.Write($"{argv[0]}: invalid option -- '{letter}'\n");
            return new ParsedOption('?', null);
        }
        bool takesArgument = specAt + 1 < optionSpec.Length && optionSpec[specAt + 1] == ':';
        if (!takesArgument)
        {
            EndClusterIf(clusterDone);
            return new ParsedOption(letter, null);
        }
        return TakeArgument(word, letter, clusterDone);
    }

    /// <summary>An option argument is the rest of the word, else the whole next word, whatever it looks like.</summary>
    ParsedOption TakeArgument(string word, char letter, bool clusterDone)
    {
        int restStart = clusterPosition;
        clusterPosition = 0;
        index++;
        if (!clusterDone)
            return new ParsedOption(letter, word[restStart..]);
        if (index >= argv.Length)
        {
            errors.Write($"{argv[0]}: option requires an argument -- '{letter}'\n");
            return new ParsedOption('?', null);
        }
        return new ParsedOption(letter, argv[index++]);
    }

    /// <summary>Moves to the next word once every letter of the current cluster is used.</summary>
    void EndClusterIf(bool clusterDone)
    {
        if (!clusterDone)
            return;
        clusterPosition = 0;
        index++;
    }
}
