using DaxLab.Base;
using DaxLab.Checker;
using DaxLab.Io;
using DaxLab.Designs;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Scenarios;

/// <summary>Turns a scenario and a design into runs for the checker, and judges each run's end state.</summary>
internal sealed class ScenarioRunner(Scenario scenario, Design design, bool snapshot = true) : IDisposable
{
    private ScenarioWorld? lastWorld;
    private byte[]? initial;
    /// <summary>The state after the setup, copied for each checked run after the first; null until taken, or when refused.</summary>
    private SetupSnapshot? setupSnapshot;
    private bool snapshotTried;

    /// <summary>Why no snapshot was taken, when one was wanted and refused; null otherwise.</summary>
    public string? SnapshotRefusal { get; private set; }

    /// <summary>The checker's factory: a fresh world per run, the setup done, one body per CPU.</summary>
    public RunSetup Build(Seam seam) => Build(seam, afterStep: null);

    /// <summary>
    /// <see cref="Build(Seam)"/> with a look at the run's world: <paramref name="afterStep"/> is
    /// called with 0 once the setup is done, then as the run's <see cref="RunSetup.AfterStep"/>
    /// (how the HTML report snapshots every step of a replay).
    /// </summary>
    public RunSetup Build(Seam seam, Action<ScenarioWorld, int>? afterStep)
    {
        lastWorld?.Dispose();
        // The setup is deterministic, so its result is read once per runner, not once per run
        // (a 4 MiB file made that read and its array the largest cost of a short run). It is read
        // from a world of its own, so that every checked run's setup does the same accesses: the
        // checker numbers the resources a setup touches, alike in every run.
        initial ??= InitialContent();
        var world = Start(seam);
        lastWorld = world;
        var cpus = scenario.Cpus.Select((cpu, i) => new CpuBody($"CPU{i + 1} - {cpu.Label}", () => RunCpu(world, i, cpu))).ToList();
        afterStep?.Invoke(world, 0);
        return new RunSetup(cpus, () => Judge(world)) { AfterStep = afterStep is null ? null : steps => afterStep(world, steps) };
    }

    /// <summary>
    /// The world of the next run, its setup over and its CPUs about to start: a copy of the
    /// setup's state when there is a snapshot and a checker run to bind it to (the copy's setup
    /// ended before it was taken), otherwise a fresh one set up; the first checked run takes the
    /// snapshot of its own.
    /// </summary>
    private ScenarioWorld Start(Seam seam)
    {
        bool checkedRun = seam.Scheduler is ScheduledRun;
        if (setupSnapshot is not null && checkedRun)
            return setupSnapshot.NewWorld(seam);
        var world = SetUp(seam);
        // Before any copy: the setup's own log is cleared, since runs judge only their CPUs'
        // operations, and a setup that writes 2 MiB logs 2 MiB, which every copy would copy again.
        world.StartCpus(initial);
        if (snapshot && checkedRun && !snapshotTried)
        {
            snapshotTried = true;
            setupSnapshot = SetupSnapshot.TryTake(world, seam, initial!, out string? refusal);
            SnapshotRefusal = refusal;
        }
        return world;
    }

    /// <summary>A fresh world with the scenario's setup done, the world of the next run.</summary>
    private ScenarioWorld SetUp(Seam seam)
    {
        var world = new ScenarioWorld(new DaxOptions { Seam = seam, Design = design });
        var setup = new ScenarioCommands(world, cpu: -1);
        for (int i = 0; i < scenario.Setup.Count; i++)
            RunAt(setup, scenario.Setup[i], scenario.SetupLines[i], "setup");
        return world;
    }

    /// <summary>The file's content after the setup, from a world set up on real threads.</summary>
    private byte[] InitialContent()
    {
        using var world = SetUp(Seam.RealThreads);
        world.StartCpus();
        return world.Initial;
    }

    private static void RunCpu(ScenarioWorld world, int index, ScenarioCpu cpu)
    {
        var commands = new ScenarioCommands(world, index);
        commands.InheritMapping();
        string section = $"cpu {cpu.Label}";
        try
        {
            for (int i = 0; i < cpu.Commands.Count; i++)
                RunAt(commands, cpu.Commands[i], cpu.Lines[i], section);
        }
        catch (Exception e) when (e is SigBusException or SigSegvException)
        {
            // The signal ends this CPU's process; the others go on.
        }
        // The process ends: its pins go with it. Not in a finally: a run the checker abandons
        // unwinds through here, and an unpin is a scheduling point.
        commands.ReleasePins();
    }

    /// <summary>Runs one command; a <see cref="ScenarioError"/> leaves knowing its line and section, for <see cref="Validate"/> to report.</summary>
    private static void RunAt(ScenarioCommands commands, string command, int line, string section)
    {
        try
        {
            commands.Run(command);
        }
        catch (ScenarioError error)
        {
            throw error.At(line, section);
        }
    }

    /// <summary>The oracle, the scenario's own checks, the atomicity of reads and system calls, and SIGBUS past EOF; null when all hold.</summary>
    private string? Judge(ScenarioWorld world)
    {
        var problems = Oracle.Check(world.Fs, world.File, world.Mappings);
        problems.AddRange(scenario.Checks.Select(c => CheckExpectation(world, ScenarioSyntax.ParseCheck(c))).OfType<string>());
        var history = new OpHistory(world.Log, world.Initial);
        problems.AddRange(ReadAtomicity.Violations(history));
        problems.AddRange(SystemCallAtomicity.Violations(history, (offset, length) => ReadFinal(world, offset, length)));
        problems.AddRange(EofSignals.Violations(world.MappedAccesses, world.SizeChanges, world.InitialSize));
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    // The atomicity check reads only the bytes two overlapping writes share, not the whole file.
    private static byte[] ReadFinal(ScenarioWorld world, long offset, int length)
    {
        var buffer = new byte[length];
        return buffer[..world.File.Read(offset, buffer)];
    }

    /// <summary>`size N` or `bytes OFF LEN = BYTE`, checked through read(2); `mbytes`, through a mapping.</summary>
    private static string? CheckExpectation(ScenarioWorld world, ScenarioCheck check)
    {
        if (check.IsSize)
            return world.File.Length == check.Offset ? null : $"size is {world.File.Length}, expected {check.Offset}";
        return check.ThroughMapping ? CheckMappedBytes(world, check) : CheckBytes(world, check.Offset, check.Length, check.Value);
    }

    /// <summary>
    /// `mbytes N OFF LEN = BYTE`: the file's bytes as mapping N shows them once every CPU is done,
    /// read as a load would see them but without faulting (the run is over): a present
    /// translation's page, a private copy included, else what a read fault would map, the file's
    /// bytes. A private copy is the mapping's own, which read(2) never shows.
    /// </summary>
    private static unsafe string? CheckMappedBytes(ScenarioWorld world, ScenarioCheck check)
    {
        var vma = world.MappingAt(check.Mapping).Vma;
        var file = ReadFinal(world, check.Offset, check.Length);
        for (int i = 0; i < check.Length; i++)
        {
            long pos = check.Offset + i;
            long address = vma.AddressOf(pos >> Geometry.PageShift) + (pos & Geometry.PageMask);
            if (address < vma.Start || address >= vma.End)
                return $"mapping {check.Mapping} does not cover file offset {pos}";
            var pmd = vma.ReadPmd(address);
            var pte = pmd.IsHuge ? pmd : vma.ReadPte(address);
            if (!pte.IsPresent && i >= file.Length)
                return $"mapping {check.Mapping} would raise SIGBUS at file offset {pos}, past EOF";
            byte shown = pte.IsPresent ? vma.PageAddress(pte, address)[pos & Geometry.PageMask] : file[i];
            if (shown != check.Value)
                return $"mapping {check.Mapping} shows 0x{shown:x2} at file offset {pos}{(pte.Kind == PageKind.Anon ? " (its private copy)" : "")}, expected 0x{check.Value:x2}";
        }
        return null;
    }

    private static string? CheckBytes(ScenarioWorld world, long offset, int length, byte value)
    {
        var read = new byte[length];
        int got = world.File.Read(offset, read);
        if (got != length || read.Any(b => b != value))
            return $"read(2) of {length} bytes at {offset} does not show 0x{value:x2}";
        return null;
    }

    /// <summary>
    /// Runs a scenario once, the setup and then each CPU alone in turn, with the landed design on
    /// real threads, so that a mistake only a run shows (no mapping yet, a mapping number that
    /// does not exist, a buffer outside its mapping, a setup command that fails) is reported as
    /// the scenario's, with its line, before any design runs, instead of as a finding against
    /// every design. Only <see cref="ScenarioError"/> counts: what the engine does with a
    /// well-formed scenario is the checker's to judge.
    /// </summary>
    /// <exception cref="ScenarioFileException">The first such mistake, as `origin:line: section: problem`.</exception>
    public static void Validate(Scenario scenario, string origin)
    {
        using var runner = new ScenarioRunner(scenario, DesignCatalog.Default);
        try
        {
            var setup = runner.Build(Seam.RealThreads);
            foreach (var body in setup.Cpus)
                RunIgnoringEngineOutcomes(body.Body);
            setup.EndCheck();
        }
        catch (ScenarioError error)
        {
            throw new ScenarioFileException(origin, error.Line, $"{error.Section}: {error.Message}");
        }
    }

    // A CPU run alone may still meet the engine's errors (EIO, a signal the scenario expects); those are not the text's.
    private static void RunIgnoringEngineOutcomes(Action body)
    {
        try
        {
            body();
        }
        catch (Exception e) when (e is not ScenarioError)
        {
        }
    }

    /// <summary>Runs the scenario <paramref name="repetitions"/> times on real threads with the same oracle.</summary>
    /// <remarks>
    /// A run whose CPUs have not all finished after <paramref name="runTimeout"/> (by default
    /// <see cref="StressRunTimeout"/>) is taken for a
    /// deadlock on real threads (a built-in run takes milliseconds): it is reported, and stressing
    /// stops, its threads left asleep in the background and its device never freed under them.
    /// </remarks>
    public List<string> Stress(int repetitions, TimeSpan? runTimeout = null)
    {
        var timeout = runTimeout ?? StressRunTimeout;
        var failures = new List<string>();
        for (int run = 0; run < repetitions; run++)
        {
            var setup = Build(Seam.RealThreads);
            var start = new Barrier(setup.Cpus.Count);
            var threads = setup.Cpus.Select(cpu => new Thread(() =>
            {
                start.SignalAndWait();
                cpu.Body();
            }) { IsBackground = true, Name = cpu.Label }).ToList();
            threads.ForEach(t => t.Start());
            var stuck = threads.Where(t => !t.Join(timeout)).Select(t => t.Name).ToList();
            if (stuck.Count > 0)
            {
                lastWorld = null;
                failures.Add($"run {run}: no progress in {timeout.TotalSeconds:0.#} s, {string.Join(", ", stuck)} still running: a deadlock on real threads (stress stopped; `daxlab check` without --stress shows its schedule)");
                return failures;
            }
            start.Dispose();
            if (setup.EndCheck() is { } problem && failures.Count < MaxStressFailuresKept)
                failures.Add($"run {run}: {problem}");
        }
        return failures;
    }

    /// <summary>How long a stress run may take before it counts as deadlocked.</summary>
    public static readonly TimeSpan StressRunTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How many failing stress runs are reported: enough to see a pattern, few enough to read.</summary>
    public const int MaxStressFailuresKept = 5;

    public void Dispose()
    {
        lastWorld?.Dispose();
        setupSnapshot?.Dispose();
    }
}
