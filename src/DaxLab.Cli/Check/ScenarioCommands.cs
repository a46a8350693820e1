using DaxLab.Base;
using DaxLab.Cli.Io;
using DaxLab.Mm;

namespace DaxLab.Cli.Check;

/// <summary>
/// The xfs_io commands a scenario may use, run straight on the engine for one CPU (or the
/// setup), logging what each read or wrote. Offsets of mread and mwrite are file offsets, as
/// in xfs_io; `mmap -p` (MAP_PRIVATE) is DaxLab's addition. A SIGBUS or SIGSEGV ends the CPU, as
/// it would end the process; an errno is logged and the CPU goes on.
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
            case "falloc": world.File.Allocate(Number(args, ^2), Number(args, ^1), keepSize: args.Contains("-k")); break;
            case "fpunch": Punch(args, command); break;
            case "fzero": ZeroRange(args, command); break;
            case "fsync" or "fdatasync": world.File.Fsync(); break;
            default: throw new ScenarioError($"'{verb}' is not a scenario command");
        }
    }

    private void Pwrite(string[] args, string command)
    {
        byte seed = Seed(args, 0xcd);
        long offset = Number(args, ^2);
        var data = Filled(Number(args, ^1), seed);
        long start = world.Tick();
        int written = world.File.Write(offset, data);
        world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, offset, data[..written], start, world.Tick()));
    }

    private void Pread(string[] args, string command)
    {
        long offset = Number(args, ^2);
        var data = new byte[Number(args, ^1)];
        long start = world.Tick();
        int read = world.File.Read(offset, data);
        world.Record(new LoggedOp(cpu, command, IsWrite: false, IsSystemCall: true, offset, data[..read], start, world.Tick()));
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
        map.Load(offset - map.FileOffset, data);
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
        map.Store(offset - map.FileOffset, data);
        if (map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: false, offset, data, start, world.Tick()));
    }

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
        if (size < old)
            world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, size, new byte[old - size], start, world.Tick()));
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
        world.File.ZeroRange(offset, length, keepSize: args.Contains("-k"));
        world.Record(new LoggedOp(cpu, command, IsWrite: true, IsSystemCall: true, offset, new byte[length], start, world.Tick()));
    }

    private DaxMapping Current() =>
        current >= 0 ? world.MappingAt(current) : throw new ScenarioError("no mapping: mmap first");

    private static long Number(string[] args, System.Index at)
    {
        var operands = args.Where((a, i) => !a.StartsWith('-') && (i == 0 || args[i - 1] != "-S")).ToArray();
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

    private static byte Seed(string[] args, byte fallback)
    {
        int at = Array.IndexOf(args, "-S");
        if (at < 0)
            return fallback;
        // As xfs_io reads -S: strtoul, the whole word, a byte's worth.
        if (at + 1 >= args.Length || CNumbers.StrToUL(args[at + 1], out int end) is var seed && (end != args[at + 1].Length || seed > byte.MaxValue))
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
