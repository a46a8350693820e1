using System.Text.Json;
using DaxLab.Checker;
using DaxLab.Designs;
using DaxLab.Scenarios;

namespace DaxLab.Cli.Check;

/// <summary>
/// `daxlab check`: runs scenarios against designs under the checker and prints the verdict
/// matrix, then the diagram of each distinct failure. With no arguments: every built-in scenario
/// against every design within the default budget. Each cell, replay, stress run and the HTML
/// page go through the library API (<see cref="ScenarioChecker"/>); this class shares the
/// budget among cells, prints, and chooses the exit status.
/// </summary>
public static class CheckCommand
{
    /// <summary>
    /// The default budget of the whole matrix: one minute, the issue's (#9), in which the whole
    /// built-in matrix proves every passing v4.12 cell without a bound even on a loaded 2-core
    /// machine (docs/checker.md, "Fast runs"). Each cell
    /// gets an equal share of what is left, so time a cell does not need (it exhausts its space,
    /// or fails) goes to the cells after it; what the passing cells leave goes to the failing ones.
    /// </summary>
    public static readonly TimeSpan DefaultMatrixBudget = TimeSpan.FromSeconds(60);

    public const string Usage =
        "usage: daxlab check [--design NAME[,NAME...]] [--scenario NAME|FILE ...] [--strategy dfs|pct|random]\n"
        + "                    [--preemptions N|none] [--no-reduction] [--distrust-footprints] [--first-failure] [--pct-depth D] [--seed N] [--budget S | --seconds S]\n"
        + "                    [--schedules N] [--shard I/N] [--no-lockdep] [--stress N] [--json] [--html FILE] [--replay TOKEN] [--compare-reduction]\n"
        + "                    [--no-snapshot] [--compare-snapshot]\n";

    /// <summary>The exit status for a scenario file that cannot be run: as for a usage error of the file's language.</summary>
    public const int ScenarioFileExitCode = 2;

    /// <summary>The one line printed after a scenario file's error, in place of the usage text.</summary>
    public const string ScenarioFileHint = "(the scenario language: docs/scenarios.md)";

    /// <param name="stderrIsTerminal">Whether stderr is a terminal: only then does a search show its progress there.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal = false)
    {
        CheckArguments options;
        try
        {
            options = CheckArguments.Parse(args);
        }
        catch (ScenarioFileException e)
        {
            // The file is at fault, not the command line: its line says what, so no usage text.
            stderr.Write($"{e.Message}\n{ScenarioFileHint}\n");
            return ScenarioFileExitCode;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or ScenarioError)
        {
            stderr.Write($"daxlab check: {e.Message}\n{Usage}");
            return UsageExitCode;
        }
        if (options.Replay is { } token)
            return Replay(token, options, stdout, stderr);
        if (options.Stress is int repetitions)
            return Stress(options, repetitions, stdout);
        if (options.CompareReduction)
            return ReductionComparison.Run(options, stdout);
        if (options.CompareSnapshot)
            return SnapshotComparison.Run(options, stdout);
        using var interrupt = new SigInt();
        var search = new Search(stderrIsTerminal ? new ProgressLine(stderr) : null, options.Json ? null : stdout, interrupt.Token);
        return Matrix(options, stdout, stderr, search);
    }

    /// <summary>The exit status for bad usage: an unknown option, a bad value, a token that is not one.</summary>
    public const int UsageExitCode = 2;

    /// <summary>The exit status after SIGINT, as a shell reports a process killed by it (128 + 2).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>
    /// The verdict matrix: scenarios as rows, designs as columns. Each cell's verdict line prints
    /// as it finishes, so that a long run shows where it stands; on SIGINT the search stops and
    /// the partial matrix prints, so that nothing found is lost.
    /// </summary>
    private static int Matrix(CheckArguments options, TextWriter stdout, TextWriter stderr, Search search)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pairs = options.Scenarios.SelectMany(s => options.Designs.Select(d => (Scenario: s, Design: d))).ToList();
        var cells = new List<ScenarioVerdict>();
        // Under a matrix budget a cell first stops at its first failure, so that the time left
        // goes to the passing cells that need it to exhaust their bound before failing cells
        // look for more distinct failures.
        var firstPass = options.CellBudget is null ? options.Search with { StopAtFirstFailure = true } : options.Search;
        foreach (var (scenario, design) in pairs.TakeWhile(_ => !search.Interrupted))
        {
            var budget = options.CellBudget ?? (options.MatrixBudget - clock.Elapsed) / (pairs.Count - cells.Count);
            cells.Add(search.Announce(search.Explore(scenario, design, firstPass, budget)));
        }
        if (options.CellBudget is null)
        {
            GiveLeftoverTime(cells, options, clock, search);
            if (!options.Search.StopAtFirstFailure)
                SeekMoreFailures(cells, options, clock, search);
        }
        if (options.Json)
            stdout.Write(MatrixJson(cells, search.Interrupted) + "\n");
        else
            PrintMatrix(cells, options, clock.Elapsed, search.Interrupted, stdout);
        if (options.Html is { } html && !WriteHtml(html, cells, options, clock.Elapsed, stderr))
            return 2;
        return search.Interrupted ? InterruptedExitCode : cells.Any(c => !c.Passed) ? 1 : 0;
    }

    /// <summary>`--html FILE`: the matrix and a trace explorer per failure (Report/HtmlReport.cs); false if the file cannot be written.</summary>
    private static bool WriteHtml(string path, List<ScenarioVerdict> cells, CheckArguments options, TimeSpan took, TextWriter stderr)
    {
        string summary = $"{options.Search.Strategy.ToString().ToLowerInvariant()}, preemption bound {options.Search.PreemptionBound?.ToString() ?? "none"}; took {took.TotalSeconds:0.#} s";
        try
        {
            ScenarioChecker.WriteHtmlReport(path, cells, summary);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.Write($"daxlab check: cannot write --html {path}: {e.Message}\n");
            return false;
        }
    }

    /// <summary>
    /// How the matrix runs its cells: with the progress line, if any; the verdict lines on
    /// <paramref name="Live"/> (null under --json, whose output is one document); stopping at
    /// <paramref name="Interrupt"/>.
    /// </summary>
    private sealed record Search(ProgressLine? Progress, TextWriter? Live, CancellationToken Interrupt)
    {
        public bool Interrupted => Interrupt.IsCancellationRequested;

        public ScenarioVerdict Explore(Scenario scenario, Design design, CheckOptions search, TimeSpan budget)
        {
            var floor = TimeSpan.FromMilliseconds(1);
            var options = search with { TimeBudget = budget > floor ? budget : floor, Progress = Progress?.For(scenario, design), CancellationToken = Interrupt };
            var verdict = ScenarioChecker.Check(scenario, design, options);
            Progress?.Clear();
            return verdict;
        }

        /// <summary>Prints the cell's verdict line as soon as it is known; returns the cell.</summary>
        public ScenarioVerdict Announce(ScenarioVerdict cell)
        {
            Live?.Write($"{cell.Design} × {cell.Scenario.Name}: {VerdictOf(cell)}\n");
            return cell;
        }
    }

    /// <summary>
    /// SIGINT (Ctrl-C) as a cancellation: the search stops and the partial matrix prints,
    /// where the runtime's default would end the process with nothing said.
    /// </summary>
    private sealed class SigInt : IDisposable
    {
        private readonly CancellationTokenSource source = new();
        private readonly System.Runtime.InteropServices.PosixSignalRegistration registration;

        public SigInt() => registration = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGINT, context => { context.Cancel = true; source.Cancel(); });

        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            registration.Dispose();
            source.Dispose();
        }
    }

    /// <summary>
    /// Cells that finished early leave time over: the cells that ran out of time before
    /// exhausting their space run again from the start, sharing what is left. A cell that
    /// stopped at its schedule limit (`--schedules`) does not: with more time it would make
    /// the same runs again and stop at the same one.
    /// </summary>
    private static void GiveLeftoverTime(List<ScenarioVerdict> cells, CheckArguments options, System.Diagnostics.Stopwatch clock, Search search)
    {
        var unfinished = cells.Select((cell, index) => (cell, index))
            .Where(c => c.cell.Stopped == StopReason.TimeBudget && c.cell.Passed).ToList();
        for (int i = 0; i < unfinished.Count && !search.Interrupted; i++)
        {
            var budget = (options.MatrixBudget - clock.Elapsed) / (unfinished.Count - i);
            var (cell, index) = unfinished[i];
            if (budget <= cell.Elapsed)
                continue;
            var again = search.Explore(cell.Scenario, cell.DesignModel, options.Search, budget);
            if (again.Schedules > cell.Schedules || !again.Passed)
                cells[index] = search.Announce(again);
        }
    }

    /// <summary>
    /// What time is left after every passing cell had its turn goes to the failing cells, each
    /// searching again for every distinct failure it can find in its share.
    /// </summary>
    private static void SeekMoreFailures(List<ScenarioVerdict> cells, CheckArguments options, System.Diagnostics.Stopwatch clock, Search search)
    {
        var failing = cells.Select((cell, index) => (cell, index)).Where(c => !c.cell.Passed).ToList();
        for (int i = 0; i < failing.Count && !search.Interrupted; i++)
        {
            var budget = (options.MatrixBudget - clock.Elapsed) / (failing.Count - i);
            if (budget <= TimeSpan.Zero)
                return;
            var (cell, index) = failing[i];
            var again = search.Explore(cell.Scenario, cell.DesignModel, options.Search, budget);
            if (again.Failures.Count >= cell.Failures.Count)
                cells[index] = search.Announce(again);
        }
    }

    /// <summary>The checker's verdict, or, for a search SIGINT stopped, how far it got.</summary>
    private static string VerdictOf(ScenarioVerdict cell) => cell.Stopped != StopReason.Cancelled ? cell.Summary
        : !cell.Passed ? $"FAIL ({cell.Failures.Count} distinct, interrupted after {cell.Schedules} schedules)"
        : $"interrupted after {cell.Schedules} schedules";

    /// <summary>What the matrix shows for a cell SIGINT stopped the matrix before.</summary>
    private const string NotRun = "not run";

    private static void PrintMatrix(List<ScenarioVerdict> cells, CheckArguments options, TimeSpan took, bool interrupted, TextWriter stdout)
    {
        var designs = options.Designs;
        var scenarios = options.Scenarios;
        int first = Math.Max("scenario".Length, scenarios.Max(s => s.Name.Length));
        string CellText(Scenario s, Design d) => cells.FirstOrDefault(c => c.Scenario == s && c.DesignModel == d) is { } cell ? VerdictOf(cell) : NotRun;
        var widths = designs.Select(d => Math.Max(d.Name.Length, scenarios.Max(s => CellText(s, d).Length))).ToArray();
        stdout.Write($"DaxLab check: {options.Search.Strategy.ToString().ToLowerInvariant()}, preemption bound {options.Search.PreemptionBound?.ToString() ?? "none"}, "
            + $"reduction {options.Explore.ReductionWords}, "
            + (options.CellBudget is { } cell ? $"budget {cell.TotalSeconds:0.#} s per cell" : $"budget {options.MatrixBudget.TotalSeconds:0.#} s in all")
            + (interrupted ? $"; interrupted after {took.TotalSeconds:0.#} s\n\n" : $"; took {took.TotalSeconds:0.#} s\n\n"));
        stdout.Write("scenario".PadRight(first) + string.Concat(designs.Select((d, i) => "  " + d.Name.PadRight(widths[i]))) + "\n");
        foreach (var scenario in scenarios)
        {
            var row = designs.Select((d, i) => "  " + CellText(scenario, d).PadRight(widths[i]));
            stdout.Write(scenario.Name.PadRight(first) + string.Concat(row) + "\n");
        }
        PrintFailures(cells, stdout);
    }

    /// <summary>The diagram of each distinct failure, with the token that reruns it.</summary>
    private static void PrintFailures(List<ScenarioVerdict> cells, TextWriter stdout)
    {
        foreach (var cell in cells)
        {
            foreach (var failure in cell.Failures)
            {
                stdout.Write($"\n== {cell.Design} fails {cell.Scenario.Name}: {cell.Scenario.Title}\n");
                stdout.Write($"{failure.Kind}: {failure.Message}\n");
                if (failure.Kind == FailureKind.LockOrder)
                {
                    // The report, not the diagram: the cycle spans runs, and its stacks say where each lock was taken.
                    // The command without its schedule (after the token's last ':'), for the run the report names.
                    string command = failure.ReplayCommand[..(failure.ReplayCommand.LastIndexOf(':') + 1)];
                    stdout.Write($"\n{failure.Detail}\n");
                    stdout.Write($"\nreplay a run named above: {command}RUN\n");
                    continue;
                }
                stdout.Write($"{failure.Preemptions} preemption(s), {failure.Diagram.Steps.Count} steps\n\n");
                stdout.Write(failure.Diagram.Text);
                stdout.Write($"\nreplay: {failure.ReplayCommand}\n");
            }
        }
    }

    /// <summary>The matrix as one JSON document (docs/checker.md, "JSON output"): the cells run, and whether SIGINT cut the run short.</summary>
    private static string MatrixJson(List<ScenarioVerdict> cells, bool interrupted) => JsonSerializer.Serialize(new
    {
        schemaVersion = Diagram.JsonSchemaVersion,
        interrupted,
        cells = cells.Select(c => new
        {
            scenario = c.Scenario.Name,
            design = c.Design,
            verdict = c.Passed ? "pass" : "fail",
            proven = c.Proven,
            exhaustive = c.Exhaustive,
            bound = c.PreemptionBound,
            reduction = c.Reduction,
            stopped = StoppedJson(c.Stopped),
            schedules = c.Schedules,
            seconds = c.Elapsed.TotalSeconds,
            failures = c.Failures.Select(f => new
            {
                kind = f.Kind.ToString(),
                message = f.Message,
                report = f.Kind == FailureKind.LockOrder ? f.Detail : null,
                preemptions = f.Preemptions,
                replay = f.ReplayToken,
                cpus = f.Diagram.Cpus,
                steps = f.Diagram.Steps.Select(s => new Diagram.Step(s.Cpu, s.Point, s.Notes, s.Preempted, s.BlockedOn)),
            }),
        }),
    }, Diagram.JsonOptions);

    /// <summary>Why a cell's search stopped, for --json.</summary>
    private static string StoppedJson(StopReason stop) => stop switch
    {
        StopReason.Exhausted => "exhausted",
        StopReason.BoundExhausted => "bound",
        StopReason.TimeBudget => "budget",
        StopReason.ScheduleLimit => "schedule-limit",
        StopReason.FirstFailure => "first-failure",
        _ => "interrupted",
    };

    /// <summary>`--replay TOKEN`: the run's outcome and diagram (or JSON); 1 if it fails, 2 for a token that is not one.</summary>
    private static int Replay(string token, CheckArguments options, TextWriter stdout, TextWriter stderr)
    {
        ScenarioReplay run;
        try
        {
            run = ScenarioChecker.Replay(token, options.Scenarios);
        }
        catch (FormatException e)
        {
            stderr.Write($"daxlab check: {e.Message}\n");
            return UsageExitCode;
        }
        catch (InvalidOperationException e)
        {
            stderr.Write($"daxlab check: {e.Message}\n");
            return 1;
        }
        if (options.Json)
        {
            stdout.Write(run.ToJson() + "\n");
            return run.Passed ? 0 : 1;
        }
        stdout.Write($"{run.Design}, {run.Scenario.Name}: {(run.Passed ? "passes" : $"{run.Kind}: {run.Message}")}\n\n");
        stdout.Write(run.Diagram.Text);
        return run.Passed ? 0 : 1;
    }

    private static int Stress(CheckArguments options, int repetitions, TextWriter stdout)
    {
        bool failed = false;
        foreach (var scenario in options.Scenarios)
        {
            foreach (var design in options.Designs)
            {
                var failures = ScenarioChecker.Stress(scenario, design, repetitions);
                failed |= failures.Count > 0;
                stdout.Write($"{scenario.Name} on {design.Name}: {repetitions} runs on real threads, {(failures.Count == 0 ? "all pass" : "FAIL")}\n");
                foreach (string failure in failures)
                    stdout.Write("  " + failure + "\n");
            }
        }
        return failed ? 1 : 0;
    }
}
