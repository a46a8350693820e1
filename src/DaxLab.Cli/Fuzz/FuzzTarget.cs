namespace DaxLab.Cli.Fuzz;

/// <summary>
/// One thing `daxlab fuzz` attacks: it makes inputs from a seeded random source and judges one
/// input. An input is bytes (a device image, or text), so every target saves and replays failing
/// inputs the same way.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name `--target` takes.</summary>
    string Name { get; }

    /// <summary>The file name extension of saved inputs (corpus and failures).</summary>
    string Extension { get; }

    /// <summary>A new input, a deterministic function of <paramref name="random"/>'s state.</summary>
    byte[] Generate(Random random);

    /// <summary>
    /// Runs the input and returns what went wrong (null when it behaved: accepted, or refused
    /// with a clear message) and how it ended (e.g. "mounted", "refused EUCLEAN"), which the
    /// summary counts to show how deep the inputs reach. Exceptions the target lets escape are
    /// failures too (the driver catches them).
    /// </summary>
    FuzzResult Run(byte[] input);
}

/// <summary>What one input did: the broken promise or null, the outcome the summary counts, and the refusal's message (what makes an input interesting for the corpus).</summary>
public readonly record struct FuzzResult(string? Failure, string Outcome, string Detail = "")
{
    public static FuzzResult Passed(string outcome, string detail = "") => new(null, outcome, detail);

    public static FuzzResult Failed(string failure) => new(failure, "failed");
}

/// <summary>The targets by name.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = ["format", "io", "scenario"];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static IFuzzTarget? Create(string name) => name switch
    {
        "format" => new FormatFuzz(),
        "io" => new IoFuzz(),
        "scenario" => new ScenarioFuzz(),
        _ => null,
    };
}
