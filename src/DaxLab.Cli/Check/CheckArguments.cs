using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios;

namespace DaxLab.Cli.Check;

/// <summary>The parsed options of `daxlab check`.</summary>
public sealed record CheckArguments(
    IReadOnlyList<Design> Designs,
    IReadOnlyList<Scenario> Scenarios,
    CheckOptions Search,
    TimeSpan MatrixBudget,
    TimeSpan? CellBudget,
    bool Json,
    int? Stress,
    string? Replay,
    bool CompareReduction = false,
    string? Html = null,
    bool CompareSnapshot = false)
{

    /// <summary>The checker's own options for <see cref="Search"/>: what the matrix's heading says of the reduction.</summary>
    public ExploreOptions Explore => Search.ToExplore();

    public static CheckArguments Parse(string[] args)
    {
        var designs = new List<Design>();
        var scenarios = new List<Scenario>();
        var strategy = StrategyKind.Dfs;
        int? bound = null;
        bool reduction = true, json = false, trustFootprints = true, firstFailure = false, compare = false, lockOrder = true, snapshot = true, compareSnapshot = false;
        int pctDepth = Limits.DefaultPctDepth;
        long seed = 1, schedules = Limits.DefaultMaxSchedules;
        double? seconds = null;
        double budget = CheckCommand.DefaultMatrixBudget.TotalSeconds;
        (int, int)? shard = null;
        int? stress = null;
        string? replay = null, html = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--design": designs.AddRange(Value().Split(',').Select(DesignCatalog.Find)); break;
                case "--scenario": scenarios.Add(LoadScenario(Value())); break;
                case "--strategy": strategy = ParseStrategy(Value()); break;
                case "--preemptions":
                    string preemptions = Value();
                    bound = preemptions == "none" ? null : PositiveOrZero(preemptions, "--preemptions");
                    break;
                case "--no-reduction": reduction = false; break;
                case "--distrust-footprints": trustFootprints = false; break;
                case "--first-failure": firstFailure = true; break;
                case "--no-lockdep": lockOrder = false; break;
                case "--pct-depth": pctDepth = PositiveOrZero(Value(), "--pct-depth"); break;
                case "--seed": seed = long.TryParse(Value(), out long s) ? s : throw new ArgumentException("--seed wants an integer"); break;
                case "--seconds": seconds = double.TryParse(Value(), out double t) && t > 0 ? t : throw new ArgumentException("--seconds wants a positive number"); break;
                case "--budget": budget = double.TryParse(Value(), out double b) && b > 0 ? b : throw new ArgumentException("--budget wants a positive number of seconds"); break;
                case "--schedules": schedules = long.TryParse(Value(), out long n) && n > 0 ? n : throw new ArgumentException("--schedules wants a positive integer"); break;
                case "--shard": shard = ExploreOptions.ParseShard(Value()); break;
                case "--stress": stress = PositiveOrZero(Value(), "--stress"); break;
                case "--json": json = true; break;
                case "--compare-reduction": compare = true; break;
                case "--no-snapshot": snapshot = false; break;
                case "--compare-snapshot": compareSnapshot = true; break;
                case "--replay": replay = Value(); break;
                case "--html": html = HtmlPath(Value()); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (html is not null && (stress is not null || replay is not null))
            throw new ArgumentException("--html reports a search: it goes with neither --stress nor --replay");
        var search = new CheckOptions
        {
            Strategy = strategy, PreemptionBound = bound, Reduction = reduction, PctDepth = pctDepth, Seed = seed, MaxSchedules = schedules,
            Shard = shard, TrustEmptyFootprints = trustFootprints, StopAtFirstFailure = firstFailure, LockOrder = lockOrder,
            SetupSnapshot = snapshot,
        };
        return new CheckArguments(
            designs.Count > 0 ? designs : DesignCatalog.All,
            scenarios.Count > 0 ? scenarios : ScenarioChecker.BuiltIn(),
            search, TimeSpan.FromSeconds(budget), seconds is double perCell ? TimeSpan.FromSeconds(perCell) : null, json, stress, replay, compare, html, compareSnapshot);
    }

    private static Scenario LoadScenario(string nameOrPath) =>
        File.Exists(nameOrPath) ? ScenarioChecker.LoadFile(nameOrPath) : ScenarioChecker.BuiltIn(nameOrPath);

    /// <summary>The --html file, refused before the search if its folder does not exist (a search may take minutes).</summary>
    private static string HtmlPath(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            throw new ArgumentException($"--html {path}: no folder {folder}");
        return path;
    }

    private static StrategyKind ParseStrategy(string text) => text switch
    {
        "dfs" => StrategyKind.Dfs,
        "pct" => StrategyKind.Pct,
        "random" => StrategyKind.Random,
        _ => throw new ArgumentException($"--strategy is dfs, pct or random, not '{text}'"),
    };

    private static int PositiveOrZero(string text, string option) =>
        int.TryParse(text, out int value) && value >= 0 ? value : throw new ArgumentException($"{option} wants a whole number ≥ 0, not '{text}'");
}
