using DaxLab.Base;
using DaxLab.Io;
using DaxLab.Mm;

namespace DaxLab.Scenarios;

/// <summary>
/// The xfs_io commands a scenario may use, run straight on the engine for one CPU (or the
/// setup), logging what each read or wrote. Offsets of mread and mwrite are file offsets, as
/// in xfs_io; `mmap -p` (MAP_PRIVATE) and a mapping as pwrite's or pread's buffer (`-M N
/// [-B BOFF]`) are DaxLab's additions. A SIGBUS or SIGSEGV ends the CPU, as it would end the
/// process; an errno is a legitimate outcome and the CPU goes on.
/// </summary>
internal sealed class ScenarioCommands(ScenarioWorld world, int cpu)
{
    private int current = -1;

    /// <summary>The pages this CPU pinned with `pin` and has not unpinned yet.</summary>
    private readonly List<DaxPins> pins = [];

    /// <summary>The setup runs as cpu -1: it must succeed, since every run starts from what it leaves.</summary>
    private bool IsSetup => cpu < 0;

    /// <summary>Selects the last mapping the setup made, as a fresh xfs_io session would the last mmap.</summary>
    public void InheritMapping() => current = world.Mappings.Count - 1;

    /// <summary>
    /// Runs one command. An errno is a CPU's legitimate outcome, but in the setup it is the
    /// scenario's error (<see cref="ScenarioError"/>), as is a signal there: the CPUs would start
    /// from a state the text does not describe.
    /// </summary>
    public void Run(string text)
    {
        var command = ScenarioSyntax.Parse(text);
        try
        {
            Dispatch(command);
        }
        catch (ErrnoException error) when (IsSetup)
        {
            throw new ScenarioError($"'{text}' failed: {ErrnoException.StrError(error.Errno)} ({error.Errno}) (expected every setup command to succeed)");
        }
        catch (ErrnoException)
        {
            // The system call failed as the kernel would make it fail: a legitimate outcome.
        }
        catch (Exception signal) when (IsSetup && signal is SigBusException or SigSegvException)
        {
            throw new ScenarioError($"'{text}' raised {(signal is SigBusException ? "SIGBUS" : "SIGSEGV")} (expected every setup command to succeed)");
        }
    }

    private void Dispatch(ScenarioCommand c)
    {
        switch (c.Verb)
        {
            case "pwrite": Pwrite(c); break;
            case "pread": Pread(c); break;
            case "mmap": Mmap(c); break;
            case "mread": Mread(c); break;
            case "mwrite": Mwrite(c); break;
            case "msync": Msync(c); break;
            case "munmap": Current().Dispose(); break;
            case "madvise": Current().Advise(c.Offset - Current().FileOffset, c.Length, MapAdvice.DontNeed); break;
            case "truncate": Truncate(c); break;
            case "falloc": Allocate(c); break;
            case "fpunch": Punch(c); break;
            case "fzero": ZeroRange(c); break;
            case "pin": Pin(c); break;
            case "unpin": ReleasePins(); break;
            case "fsync" or "fdatasync": world.File.Fsync(); break;
            default: throw new InvalidOperationException($"ScenarioSyntax accepted '{c.Verb}', which has no handler");
        }
    }

    private void Pwrite(ScenarioCommand c)
    {
        if (MappedBuffer(c) is { } buffer)
        {
            Transfer(buffer, c, write: true);
            return;
        }
        var data = Filled(c.Length, Seed(c, 0xcd));
        long start = world.Clock.Start(cpu);
        int written = world.File.Write(c.Offset, data);
        long end = world.Clock.End(cpu);
        world.Record(new LoggedOp(cpu, c.Text, IsWrite: true, IsSystemCall: true, c.Offset, data[..written], start, end));
        RecordExtension(c.Offset + written, start, end);
    }

    private void Pread(ScenarioCommand c)
    {
        if (MappedBuffer(c) is { } buffer)
        {
            Transfer(buffer, c, write: false);
            return;
        }
        var data = new byte[c.Length];
        long start = world.Clock.Start(cpu);
        int read = world.File.Read(c.Offset, data);
        world.Record(new LoggedOp(cpu, c.Text, IsWrite: false, IsSystemCall: true, c.Offset, data[..read], start, world.Clock.End(cpu)));
    }

    /// <summary>A pwrite's or pread's buffer inside a mapping: <see cref="FileOffset"/> is the file offset of its first byte.</summary>
    private sealed record MappedRange(DaxMapping Map, long FileOffset);

    /// <summary>
    /// `-M N [-B BOFF]`: the buffer is mapping N's bytes at file offset BOFF, by default the
    /// I/O's own offset (t_mmap_dio's shape: the same offsets in the mapped file); null without -M.
    /// </summary>
    private MappedRange? MappedBuffer(ScenarioCommand c)
    {
        if (c.Value('M') is not { } index)
            return null;
        int n = int.Parse(index);
        var map = world.MappingAt(n);
        long first = c.Value('B') is { } at ? ScenarioSyntax.Operand(at, "buffer offset") : c.Offset;
        if (first < map.FileOffset || first + c.Length > map.FileOffset + map.Length)
            throw new ScenarioError($"'{c.Text}': file bytes [{first}, {first + c.Length}) are not inside mapping {n}, which maps [{map.FileOffset}, {map.FileOffset + map.Length}) (expected a buffer inside the mapping)");
        return new MappedRange(map, first);
    }

    /// <summary>
    /// pwrite or pread with a mapping as the buffer: the copy faults through the mapping inside
    /// the system call. Logged are the bytes it really moved (its transcript); through a shared
    /// mapping they are also the mapped file's bytes, read by the write's loads or written by
    /// the read's stores, and are logged as such.
    /// </summary>
    private void Transfer(MappedRange buffer, ScenarioCommand c, bool write)
    {
        var moved = new byte[c.Length];
        var range = new UserRange(buffer.Map.Vma, buffer.FileOffset - buffer.Map.FileOffset, checked((int)c.Length), moved);
        long start = world.Clock.Start(cpu);
        int count = write ? world.File.Write(c.Offset, range) : world.File.Read(c.Offset, range);
        long end = world.Clock.End(cpu);
        world.Record(new LoggedOp(cpu, c.Text, write, IsSystemCall: true, c.Offset, moved[..count], start, end));
        if (write)
            RecordExtension(c.Offset + count, start, end);
        if (buffer.Map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, c.Text, !write, IsSystemCall: false, buffer.FileOffset, moved[..count], start, end));
    }

    private void Mmap(ScenarioCommand c)
    {
        if (c.Operands.Count == 1)
        {
            world.MappingAt((int)c.Operands[0]);
            current = (int)c.Operands[0];
            return;
        }
        var protection = (c.Has('r') ? MapProtection.Read : MapProtection.None)
            | (c.Has('w') ? MapProtection.Write : MapProtection.None)
            | (c.Has('x') ? MapProtection.Exec : MapProtection.None);
        if (protection == MapProtection.None)
            protection = MapProtection.Read | MapProtection.Write;
        var sharing = c.Has('p') ? MapSharing.Private : MapSharing.Shared;
        current = world.AddMapping(world.File.Map(c.Offset, c.Length, protection, sharing));
    }

    private void Mread(ScenarioCommand c)
    {
        var map = Current();
        var (offset, length) = RangeInside(map, c);
        var data = new byte[length];
        long start = world.Clock.Start(cpu);
        Access(c.Text, offset, data.Length, start, () => map.Load(offset - map.FileOffset, data));
        if (map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, c.Text, IsWrite: false, IsSystemCall: false, offset, data, start, world.Clock.End(cpu)));
    }

    private void Mwrite(ScenarioCommand c)
    {
        var map = Current();
        var (offset, length) = RangeInside(map, c);
        var data = Filled(length, Seed(c, (byte)'X'));
        long start = world.Clock.Start(cpu);
        Access(c.Text, offset, data.Length, start, () => map.Store(offset - map.FileOffset, data));
        if (map.Sharing == MapSharing.Shared)
            world.Record(new LoggedOp(cpu, c.Text, IsWrite: true, IsSystemCall: false, offset, data, start, world.Clock.End(cpu)));
    }

    /// <summary>
    /// mread's and mwrite's file range, the whole mapping without operands. As xfs_io refuses a
    /// range outside the current mapping (check_mapping_range), so does the scenario: a load
    /// there is not a fault the text can mean.
    /// </summary>
    private static (long Offset, long Length) RangeInside(DaxMapping map, ScenarioCommand c)
    {
        if (c.Operands.Count == 0)
            return (map.FileOffset, map.Length);
        if (c.Offset < map.FileOffset || c.Offset + c.Length > map.FileOffset + map.Length)
            throw new ScenarioError($"'{c.Text}': file bytes [{c.Offset}, {c.Offset + c.Length}) are not inside the current mapping [{map.FileOffset}, {map.FileOffset + map.Length}) (expected a range inside it)");
        return (c.Offset, c.Length);
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
            world.Record(new MappedAccess(cpu, command, offset, length, start, world.Clock.End(cpu), signal.FileOffset));
            throw;
        }
        world.Record(new MappedAccess(cpu, command, offset, length, start, world.Clock.End(cpu), SigBusAt: null));
    }

    /// <summary>A call that may have moved i_size up to <paramref name="end"/>, for the EOF rule.</summary>
    private void RecordExtension(long end, long start, long finish) =>
        world.Record(new SizeChange(end, Extends: true, start, finish));

    private void Msync(ScenarioCommand c)
    {
        var map = Current();
        var flags = c.Has('a') ? MsyncFlags.Async : MsyncFlags.Sync;
        if (c.Has('i'))
            flags |= MsyncFlags.Invalidate;
        long offset = c.Operands.Count == 2 ? c.Offset - map.FileOffset : 0;
        long length = c.Operands.Count == 2 ? c.Length : map.Length;
        map.Sync(offset, length, flags);
    }

    private void Truncate(ScenarioCommand c)
    {
        long size = c.Operands[0];
        long old = world.File.Length;
        long start = world.Clock.Start(cpu);
        world.File.Truncate(size);
        long end = world.Clock.End(cpu);
        if (size < old)
            world.Record(new LoggedOp(cpu, c.Text, IsWrite: true, IsSystemCall: true, size, new byte[old - size], start, end));
        world.Record(new SizeChange(size, Extends: false, start, end));
    }

    private void Punch(ScenarioCommand c)
    {
        long start = world.Clock.Start(cpu);
        world.File.PunchHole(c.Offset, c.Length);
        world.Record(new LoggedOp(cpu, c.Text, IsWrite: true, IsSystemCall: true, c.Offset, new byte[c.Length], start, world.Clock.End(cpu)));
    }

    private void ZeroRange(ScenarioCommand c)
    {
        long start = world.Clock.Start(cpu);
        world.File.ZeroRange(c.Offset, c.Length, keepSize: c.Has('k'));
        long end = world.Clock.End(cpu);
        world.Record(new LoggedOp(cpu, c.Text, IsWrite: true, IsSystemCall: true, c.Offset, new byte[c.Length], start, end));
        if (!c.Has('k'))
            RecordExtension(c.Offset + c.Length, start, end);
    }

    private void Allocate(ScenarioCommand c)
    {
        long start = world.Clock.Start(cpu);
        world.File.Allocate(c.Offset, c.Length, keepSize: c.Has('k'));
        if (!c.Has('k'))
            RecordExtension(c.Offset + c.Length, start, world.Clock.End(cpu));
    }

    /// <summary>
    /// `pin off len`: get_user_pages for a DMA into file bytes [off, off + len) of the current
    /// mapping (write faults, then a pin on each device page), held until `unpin`.
    /// </summary>
    private void Pin(ScenarioCommand c)
    {
        var map = Current();
        var (offset, length) = RangeInside(map, c);
        pins.Add(map.Pin(offset - map.FileOffset, length));
    }

    /// <summary>
    /// `unpin`, and the end of the CPU: the DMA completes and every pin this CPU holds is
    /// dropped (a process's pins go when it exits, as its driver releases them).
    /// </summary>
    public void ReleasePins()
    {
        foreach (var held in pins)
            held.Dispose();
        pins.Clear();
    }

    private DaxMapping Current() =>
        current >= 0 ? world.MappingAt(current) : throw new ScenarioError("no mapping (expected an mmap before it, in the setup or this CPU)");

    private static byte Seed(ScenarioCommand c, byte fallback) =>
        c.Value('S') is { } text ? ScenarioSyntax.Byte(text, "seed") : fallback;

    private static byte[] Filled(long length, byte seed)
    {
        var data = new byte[length];
        Array.Fill(data, seed);
        return data;
    }
}
