using DaxLab.Base;
using DaxLab.Mm;

namespace DaxLab.Cli.CrashCheck;

/// <summary>A built-in crash workload: a few metadata operations on a fresh file system, with a small log when <paramref name="LogBytes"/> says so (to make it checkpoint).</summary>
internal sealed record CrashWorkload(string Name, string Description, long? LogBytes, Action<CrashWorkloadRun> Body);

/// <summary>
/// The operations a crash workload runs, each telling the oracle what it may leave: before the
/// operation, what it may store (its bytes can reach persistence the moment it starts); after
/// it returns, what it promised (fsync, msync, a flushed MAP_SYNC store).
/// </summary>
internal sealed class CrashWorkloadRun(DaxFileSystem fs, CrashOracle oracle, bool mapSync)
{
    /// <summary>The operation running now, named as `daxlab io` would: where a crash point falls.</summary>
    public string Step { get; private set; } = "mkfs";

    public void Create(string name)
    {
        Step = $"create {name}";
        oracle.Created(name);
        fs.OpenFile(name, DaxOpenFlags.Create).Dispose();
    }

    public void Write(string name, long offset, int length)
    {
        Step = $"pwrite {name} {offset} {length}";
        byte tag = oracle.NextTag();
        oracle.Wrote(name, offset, length, tag);
        using DaxFile file = fs.OpenFile(name);
        byte[] data = new byte[length];
        data.AsSpan().Fill(tag);
        file.Write(offset, data);
    }

    public void Truncate(string name, long size) => Change(name, $"truncate {name} {size}", f => f.Truncate(size));

    public void Punch(string name, long offset, long length) => Change(name, $"fpunch {name} {offset} {length}", f => f.PunchHole(offset, length));

    public void Falloc(string name, long offset, long length, bool keepSize) =>
        Change(name, $"falloc{(keepSize ? " -k" : "")} {name} {offset} {length}", f => f.Allocate(offset, length, keepSize));

    public void Fsync(string name)
    {
        Step = $"fsync {name}";
        using DaxFile file = fs.OpenFile(name);
        file.Fsync();
        oracle.Fsynced(name, Contents(file));
    }

    public void Unlink(string name)
    {
        Step = $"unlink {name}";
        oracle.Unlinked(name);
        fs.Fs.Unlink(fs.Fs.Lookup(name) ?? throw new InvalidOperationException($"crash workload unlinks '{name}', which does not exist"));
    }

    /// <summary>A store through a shared mapping, then msync(MS_SYNC) of its pages: msync's promise covers the stored bytes.</summary>
    public void MappedStoreMsync(string name, long offset, int length)
    {
        Step = $"mwrite {name} {offset} {length}; msync -s";
        using DaxFile file = fs.OpenFile(name);
        using DaxMapping map = file.Map(0, Geometry.PageAlignUp(offset + length), MapProtection.Read | MapProtection.Write, MapSharing.Shared);
        byte[] data = Store(name, map, offset, length);
        long first = Geometry.PageAlignDown(offset);
        map.Sync(first, Geometry.PageAlignUp(offset + length) - first, MsyncFlags.Sync);
        oracle.RangeDurable(name, "msync", offset, data);
    }

    /// <summary>
    /// A store through a MAP_SYNC mapping (a plain shared one when the explorer runs without
    /// MAP_SYNC), then a user-space flush of its lines (clwb, sfence) and no fsync: generic/470's
    /// promise is that the bytes survive any crash from then on.
    /// </summary>
    public void MapSyncStore(string name, long offset, int length)
    {
        Step = $"mmap {(mapSync ? "-S " : "")}{name}; mwrite {offset} {length}; clwb+sfence";
        using DaxFile file = fs.OpenFile(name);
        using DaxMapping map = file.Map(0, Geometry.PageAlignUp(offset + length), MapProtection.Read | MapProtection.Write,
            mapSync ? MapSharing.SharedSync : MapSharing.Shared);
        byte[] data = Store(name, map, offset, length);
        map.Persist(offset, length);
        oracle.RangeDurable(name, "a flushed MAP_SYNC store", offset, data);
    }

    private byte[] Store(string name, DaxMapping map, long offset, int length)
    {
        byte tag = oracle.NextTag();
        oracle.Wrote(name, offset, length, tag);
        byte[] data = new byte[length];
        data.AsSpan().Fill(tag);
        map.Store(offset, data);
        return data;
    }

    private void Change(string name, string step, Action<DaxFile> change)
    {
        Step = step;
        oracle.Changed(name);
        using DaxFile file = fs.OpenFile(name);
        change(file);
    }

    private static byte[] Contents(DaxFile file)
    {
        byte[] content = new byte[file.Length];
        file.Read(0, content);
        return content;
    }
}

/// <summary>The built-in crash workloads: each covers a few of the operations the format must survive a power failure in.</summary>
internal static class CrashWorkloads
{
    /// <summary>The smallest log the format allows: the log-wrap workload checkpoints several times.</summary>
    private const long TinyLog = 4096;

    public static readonly IReadOnlyList<CrashWorkload> All =
    [
        new("create-write-fsync", "creates, small writes, fsync of each file", null, CreateWriteFsync),
        new("truncate-reuse", "truncate frees a block another file then allocates", null, TruncateReuse),
        new("punch-falloc", "fallocate, writes into unwritten blocks, punch, fallocate -k", null, PunchFalloc),
        new("unlink-reuse", "unlink a synced file, another reuses its blocks", null, UnlinkReuse),
        new("msync", "stores through a shared mapping of a file never fsynced, msync(MS_SYNC)", null, Msync),
        new("map-sync", "stores through a MAP_SYNC mapping, flushed from user space, no fsync", null, MapSync),
        new("log-wrap", "creates and fsyncs through a 4 KiB log: checkpoints and log zeroing", TinyLog, LogWrap),
    ];

    private static void CreateWriteFsync(CrashWorkloadRun w)
    {
        w.Create("a");
        w.Write("a", 0, 100);
        w.Fsync("a");
        w.Create("b");
        w.Write("b", 0, 300);
        w.Write("a", 100, 50);
        w.Fsync("b");
        w.Fsync("a");
    }

    private static void TruncateReuse(CrashWorkloadRun w)
    {
        w.Create("a");
        w.Write("a", 0, 100);
        w.Write("a", 4096, 100);
        w.Fsync("a");
        w.Truncate("a", 50);
        w.Create("b");
        w.Write("b", 0, 120);
        w.Fsync("b");
        w.Truncate("a", 0);
        w.Write("b", 4096, 80);
        w.Fsync("a");
        w.Fsync("b");
    }

    private static void PunchFalloc(CrashWorkloadRun w)
    {
        w.Create("c");
        w.Falloc("c", 0, 16384, keepSize: false);
        w.Write("c", 4096, 200);
        w.Fsync("c");
        w.Punch("c", 4096, 4096);
        w.Falloc("c", 32768, 4096, keepSize: true);
        w.Write("c", 100, 10);
        w.Fsync("c");
    }

    private static void UnlinkReuse(CrashWorkloadRun w)
    {
        w.Create("d");
        w.Write("d", 0, 200);
        w.Fsync("d");
        w.Create("e");
        w.Unlink("d");
        w.Write("e", 0, 150);
        w.Fsync("e");
    }

    private static void Msync(CrashWorkloadRun w)
    {
        w.Create("m");
        w.Truncate("m", 8192);
        w.MappedStoreMsync("m", 0, 100);
        w.MappedStoreMsync("m", 4096, 64);
    }

    private static void MapSync(CrashWorkloadRun w)
    {
        w.Create("s");
        w.Truncate("s", 8192);
        w.MapSyncStore("s", 0, 64);
        w.MapSyncStore("s", 4096 + 128, 64);
    }

    private static void LogWrap(CrashWorkloadRun w)
    {
        for (int i = 0; i < 24; i++)
        {
            w.Create($"w{i}");
            w.Write($"w{i}", 0, 16);
            if (i % 4 == 3)
                w.Fsync($"w{i}");
        }
    }
}
