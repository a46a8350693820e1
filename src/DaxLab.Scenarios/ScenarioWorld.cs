using DaxLab.Io;

namespace DaxLab.Scenarios;

/// <summary>
/// The state of one run of a scenario: a fresh in-memory file system with the design under
/// test, the scenario's file, the mappings made so far, and the log of every read and write
/// with its logical start and end times, for the atomicity checks.
/// </summary>
internal sealed class ScenarioWorld : IDisposable
{
    /// <summary>The device each run gets: the smallest the file system takes, enough for 4 MiB files.</summary>
    public const long DeviceSize = 16L << 20;

    public const string FileName = "testfile";

    private readonly List<DaxMapping> mappings = [];
    /// <summary>
    /// Guards <see cref="mappings"/> and <see cref="Log"/> while CPUs run (stress runs add to them
    /// from real threads); a leaf. Before the CPUs start and after they all ended, one thread
    /// clears and reads them without it.
    /// </summary>
    private readonly Lock gate = new();

    public ScenarioWorld(DaxOptions options)
    {
        Clock = new OperationClock(options.Seam);
        Fs = DaxFileSystem.CreateInMemory(DeviceSize, options);
        File = Fs.OpenFile(FileName, DaxOpenFlags.Create);
    }

    public DaxFileSystem Fs { get; }
    public DaxFile File { get; }

    /// <summary>Stamps the start and end of every logged operation.</summary>
    public OperationClock Clock { get; }

    /// <summary>What each completed operation read or wrote, in the order they ended.</summary>
    public List<LoggedOp> Log { get; } = [];

    /// <summary>Every load and store through a mapping, and whether it raised SIGBUS, for the EOF rule.</summary>
    public List<MappedAccess> MappedAccesses { get; } = [];

    /// <summary>Every call that set i_size, for the EOF rule.</summary>
    public List<SizeChange> SizeChanges { get; } = [];

    /// <summary>read(2)'s view of the file when the CPUs start: what a byte held before any write.</summary>
    public byte[] Initial { get; private set; } = [];

    /// <summary>i_size when the CPUs start.</summary>
    public long InitialSize => Initial.Length;

    public IReadOnlyList<DaxMapping> Mappings
    {
        get
        {
            lock (gate)
                return [.. mappings];
        }
    }

    public int AddMapping(DaxMapping map)
    {
        lock (gate)
        {
            mappings.Add(map);
            return mappings.Count - 1;
        }
    }

    public DaxMapping MappingAt(int index)
    {
        lock (gate)
        {
            if (index < 0 || index >= mappings.Count)
                throw new ScenarioError($"no mapping {index} (there are {mappings.Count})");
            return mappings[index];
        }
    }

    /// <summary>
    /// Ends the setup: records the file's content as every byte's initial value, or takes
    /// <paramref name="known"/>, the content an earlier run's identical setup left (the setup is
    /// a fixed list of commands on a fresh file system, so every run's is the same).
    /// </summary>
    public void StartCpus(byte[]? known = null)
    {
        if (known is not null && known.Length == File.Length)
        {
            Initial = known;
        }
        else
        {
            Initial = new byte[File.Length];
            File.Read(0, Initial);
        }
        Log.Clear();
        MappedAccesses.Clear();
        SizeChanges.Clear();
    }

    public void Record(LoggedOp op)
    {
        lock (gate)
            Log.Add(op);
    }

    public void Record(MappedAccess access)
    {
        lock (gate)
            MappedAccesses.Add(access);
    }

    public void Record(SizeChange change)
    {
        lock (gate)
            SizeChanges.Add(change);
    }

    /// <summary>The run is over and its scheduler gone: free the device without the engine's locks.</summary>
    public void Dispose() => Fs.Abandon();
}

/// <summary>
/// One read or write of file bytes [Offset, Offset + Data.Length) by a CPU, between logical
/// times Start and End. Truncate, punch and zero range log the zeros they write.
/// <paramref name="IsSystemCall"/> tells read(2) and write(2) (and the zeroing calls), which
/// are atomic with respect to one another, from loads and stores through a mapping, which are not.
/// </summary>
internal sealed record LoggedOp(int Cpu, string Command, bool IsWrite, bool IsSystemCall, long Offset, byte[] Data, long Start, long End)
{
    public long EndOffset => Offset + Data.Length;

    public bool Covers(long at) => at >= Offset && at < EndOffset;

    /// <summary>The byte read or written at file offset <paramref name="at"/>, which the operation covers.</summary>
    public byte At(long at) => Data[at - Offset];

    /// <summary>How reports name it: the CPU as diagrams number it, and the command as the scenario wrote it.</summary>
    public string Label => $"CPU{Cpu + 1}'s '{Command}'";
}

/// <summary>
/// A scenario command that cannot run: bad syntax, a missing mapping, a failing setup command.
/// Not a finding. <see cref="Line"/> and <see cref="Section"/> say where, once the runner knows.
/// </summary>
internal sealed class ScenarioError(string message, int line = 0, string section = "") : Exception(message)
{
    /// <summary>The command's line in the scenario file, 0 until <see cref="At"/> sets it.</summary>
    public int Line => line;

    /// <summary>"setup", "cpu LABEL" or "check".</summary>
    public string Section => section;

    /// <summary>The same error placed at a line of a section; an error already placed keeps its place.</summary>
    public ScenarioError At(int atLine, string atSection) => line > 0 ? this : new ScenarioError(Message, atLine, atSection);
}
