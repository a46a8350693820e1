using DaxLab.Base;
using DaxLab.Cli.Io;
using DaxLab.Mm;

namespace DaxLab.Cli.Check;

/// <summary>
/// The xfs_io commands a scenario may use, run straight on the engine for one CPU (or the
/// setup), logging what each read or wrote. Offsets of mread and mwrite are file offsets, as
/// in xfs_io; `mmap -p` (MAP_PRIVATE) and a mapping as pwrite's or pread's buffer (`-M N
/// [-B BOFF]`) are DaxLab's additions. A SIGBUS or SIGSEGV ends the CPU, as it would end the
/// process; an errno is a legitimate outcome and the CPU goes on.
/// </summary>
public sealed class ScenarioCommands(ScenarioWorld world, int cpu)
{
    private int current = -1;

    /// <summary>Selects the last mapping the setup made, as a fresh xfs_io session would the last mmap.</summary>
    public void InheritMapping() => current = world.Mappings.Count - 1;

    public void Run(string command)
    {
        var words = LineSplitter.Split(command);
        try
        {
            Dispatch(words[0], words[1..], command);
        }
        catch (ErrnoException)
        {
            // The system call failed as the kernel would make it fail: a legitimate outcome.
        }
    }

    private void Dispatch(string verb, string[] args, string command)
    {
        switch (verb)
        {
            case "pwrite": Pwrite(args, command); break;
            case "pread": Pread(args, command); break;
            case "mmap": Mmap(args); break;
            case "mread": Mread(args, command); break;
            case "mwrite": Mwrite(args, command); break;
            case "msync": Msync(args); break;
            case "munmap": Current().Dispose(); break;
            case "madvise": Madvise(args); break;
            case "truncate": Truncate(args, command); break;
            case "falloc": Allocate(args); break;
            case "fpunch": Punch(args, command); break;
            case "fzero": ZeroRange(args, command); break;
            case "fsync" or "fdatasync": world.File.Fsync(); break;
            default: throw new ScenarioError($"'{verb}' is not a scenario command");
        }
    }

    private void Pwrite(string[] args, string command)
    {
        long offset = Number(args, ^2), length = Number(args, ^1);
        if (MappedBuffer(args, offset, length, command) is { } buffer)
        {
            Transfer(buffer, offset, length, command, write: true);
            return;
        }
        var data = Filled(length, Seed(args, 0xcd));
        long start = world.Tick();
        int written = world.File.Write(offset, data);
        long end = world.Tick();
        world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, offset, data[..written], start, end));
        RecordExtension(offset + written, start, end);
    }

    private void Pread(string[] args, string command)
    {
        long offset = Number(args, ^2), length = Number(args, ^1);
        if (MappedBuffer(args, offset, length, command) is { } buffer)
        {
            Transfer(buffer, offset, length, command, write: false);
            return;
        }
        var data = new byte[length];
        long start = world.Tick();
        int read = world.File.Read(offset, data);
        world.Record(new LoggedOp(cpu, command, IsWrite: false, IsSystemCall: true, offset, data[..read], start, world.Tick()));
    }

    /// <summary>A pwrite's or pread's buffer inside a mapping: <see cref="FileOffset"/> is the file offset of its first byte.</summary>
    private sealed record MappedRange(DaxMapping Map, long FileOffset);

    /// <summary>
    /// `-M N [-B BOFF]`: the buffer is mapping N's bytes at file offset BOFF, by default the
    /// I/O's own offset (t_mmap_dio's shape: the same offsets in the mapped file); null without -M.
    /// </summary>
    private MappedRange? MappedBuffer(string[] args, long offset, long length, string command)
    {
        string? index = OptionValue(args, "-M"), at = OptionValue(args, "-B");
        if (index is null)
            return at is null ? null : throw new ScenarioError($"'{command}': -B names an offset inside the mapping that -M selects");
        if (args.Contains("-S"))
            throw new ScenarioError($"'{command}': -S fills a buffer of its own, -M takes the mapping's bytes; give one");
        if (!int.TryParse(index, out int n))
            throw new ScenarioError($"'{command}': -M takes a mapping number, not '{index}'");
        var map = world.MappingAt(n);
        long first = at is null ? offset : Operand(at);
        if (first < map.FileOffset || first + length > map.FileOffset + map.Length)
            throw new ScenarioError($"'{command}': file bytes [{first}, {first + length}) are not inside mapping {n}, which maps [{map.FileOffset}, {map.FileOffset + map.Length})");
        return new MappedRange(map, first);
    }

    /// <summary>
    /// pwrite or pread with a mapping as the buffer: the copy faults through the mapping inside
    /// the system call. Logged are the bytes it really moved (its transcript); through a shared
    /// mapping they are also the mapped file's bytes, read by the write's loads or written by
    /// the read's stores, and are logged as such.
    /// </summary>
    private void Transfer(MappedRange buffer, long offset, long length, string command, bool write)
    {
        var moved = new byte[length];
        var range = new UserRange(buffer.Map.Vma, buffer.FileOffset - buffer.Map.FileOffset, checked((int)length), moved);
        long start = world.Tick();
        int count = write ? world.File.Write(offset, range) : world.File.Read(offset, range);
        long end = world.Tick();
        world.Record(new LoggedOp(cpu, command, write, IsSystemCall: true, offset, moved[..count], start, end));
        if (write)
            RecordExtension(offset + count, start, end);
        if (buffer.Map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, command, !write, IsSystemCall: false, buffer.FileOffset, moved[..count], start, end));
    }

    private void Mmap(string[] args)
    {
        if (args.Length == 1 && int.TryParse(args[0], out int index))
        {
            world.MappingAt(index);
            current = index;
            return;
        }
        var protection = MapProtection.None;
        foreach (char flag in string.Concat(args.Where(a => a.StartsWith('-'))).Replace("-", ""))
        {
            protection |= flag switch
            {
                'r' => MapProtection.Read,
                'w' => MapProtection.Write,
                'x' => MapProtection.Exec,
                'p' => MapProtection.None,
                _ => throw new ScenarioError($"mmap: unknown flag -{flag}"),
            };
        }
        if (protection == MapProtection.None)
            protection = MapProtection.Read | MapProtection.Write;
        var sharing = args.Any(a => a.StartsWith('-') && a.Contains('p')) ? MapSharing.Private : MapSharing.Shared;
        current = world.AddMapping(world.File.Map(Number(args, ^2), Number(args, ^1), protection, sharing));
    }

    private void Mread(string[] args, string command)
    {
        var map = Current();
        long offset = args.Length >= 2 ? Number(args, ^2) : map.FileOffset;
        var data = new byte[args.Length >= 2 ? Number(args, ^1) : map.Length];
        long start = world.Tick();
        Access(command, offset, data.Length, start, () => map.Load(offset - map.FileOffset, data));
        if (map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, command, IsWrite: false, IsSystemCall: false, offset, data, start, world.Tick()));
    }

    private void Mwrite(string[] args, string command)
    {
        var map = Current();
        byte seed = Seed(args, (byte)'X');
        long offset = Number(args, ^2);
        var data = Filled(Number(args, ^1), seed);
        long start = world.Tick();
        Access(command, offset, data.Length, start, () => map.Store(offset - map.FileOffset, data));
        if (map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: false, offset, data, start, world.Tick()));
    }

    /// <summary>
    /// A load or store through the current mapping, recorded for the EOF rule whether it went
    /// through or raised SIGBUS (which still ends the CPU).
    /// </summary>
    private void Access(string command, long offset, long length, long start, Action access)
    {
        try
        {
            access();
        }
        catch (SigBusException signal)
        {
            world.Record(new MappedAccess(cpu, command, offset, length, start, world.Tick(), signal.FileOffset));
            throw;
        }
        world.Record(new MappedAccess(cpu, command, offset, length, start, world.Tick(), SigBusAt: null));
    }

    /// <summary>A call that may have moved i_size up to <paramref name="end"/>, for the EOF rule.</summary>
    private void RecordExtension(long end, long start, long finish) =>
        world.Record(new SizeChange(end, Extends: true, start, finish));

    private void Msync(string[] args)
    {
        var map = Current();
        var flags = args.Contains("-a") ? MsyncFlags.Async : MsyncFlags.Sync;
        if (args.Contains("-i"))
            flags |= MsyncFlags.Invalidate;
        var numbers = args.Where(a => !a.StartsWith('-')).ToArray();
        long offset = numbers.Length == 2 ? Operand(numbers[0]) - map.FileOffset : 0;
        long length = numbers.Length == 2 ? Operand(numbers[1]) : map.Length;
        map.Sync(offset, length, flags);
    }

    private void Madvise(string[] args)
    {
        var map = Current();
        map.Advise(Number(args, ^2) - map.FileOffset, Number(args, ^1), MapAdvice.DontNeed);
    }

    private void Truncate(string[] args, string command)
    {
        long size = Number(args, ^1);
        long old = world.File.Length;
        long start = world.Tick();
        world.File.Truncate(size);
        long end = world.Tick();
        if (size < old)
            world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, size, new byte[old - size], start, end));
        world.Record(new SizeChange(size, Extends: false, start, end));
    }

    private void Punch(string[] args, string command)
    {
        long offset = Number(args, ^2), length = Number(args, ^1);
        long start = world.Tick();
        world.File.PunchHole(offset, length);
        world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, offset, new byte[length], start, world.Tick()));
    }

    private void ZeroRange(string[] args, string command)
    {
        long offset = Number(args, ^2), length = Number(args, ^1);
        long start = world.Tick();
        bool keepSize = args.Contains("-k");
        world.File.ZeroRange(offset, length, keepSize);
        long end = world.Tick();
        world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, offset, new byte[length], start, end));
        if (!keepSize)
            RecordExtension(offset + length, start, end);
    }

    private void Allocate(string[] args)
    {
        long offset = Number(args, ^2), length = Number(args, ^1);
        long start = world.Tick();
        bool keepSize = args.Contains("-k");
        world.File.Allocate(offset, length, keepSize);
        if (!keepSize)
            RecordExtension(offset + length, start, world.Tick());
    }

    private DaxMapping Current() =>
        current >= 0 ? world.MappingAt(current) : throw new ScenarioError("no mapping: mmap first");

    /// <summary>The flags that take a value: the next word is theirs, not an operand.</summary>
    private static readonly string[] FlagsWithValues = ["-S", "-M", "-B"];

    private static long Number(string[] args, System.Index at)
    {
        var operands = args.Where((a, i) => !a.StartsWith('-') && (i == 0 || !FlagsWithValues.Contains(args[i - 1]))).ToArray();
        if (operands.Length < 2 && at.Value == 2 || operands.Length < 1)
            throw new ScenarioError($"missing operand in '{string.Join(' ', args)}'");
        return Operand(operands[at]);
    }

    /// <summary>A non-negative number in xfs_io's forms (cvtnum); anything else is the scenario's error.</summary>
    public static long Operand(string text)
    {
        long value = CNumbers.Cvtnum(text);
        return value >= 0 ? value : throw new ScenarioError($"bad number '{text}'");
    }

    /// <summary>The word after <paramref name="flag"/>, or null when the flag is absent.</summary>
    private static string? OptionValue(string[] args, string flag)
    {
        int at = Array.IndexOf(args, flag);
        if (at < 0)
            return null;
        return at + 1 < args.Length ? args[at + 1] : throw new ScenarioError($"{flag} needs a value in '{string.Join(' ', args)}'");
    }

    private static byte Seed(string[] args, byte fallback)
    {
        if (OptionValue(args, "-S") is not { } text)
            return fallback;
        // As xfs_io reads -S: strtoul, the whole word, a byte's worth.
        if (CNumbers.StrToUL(text, out int end) is var seed && (end != text.Length || seed > byte.MaxValue))
            throw new ScenarioError($"bad seed in '{string.Join(' ', args)}'");
        return (byte)seed;
    }

    private static byte[] Filled(long length, byte seed)
    {
        var data = new byte[length];
        Array.Fill(data, seed);
        return data;
    }
}
