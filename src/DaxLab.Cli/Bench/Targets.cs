using System.Runtime.InteropServices;
using DaxLab.Base;
using DaxLab.Io.Backends;
using DaxLab.Designs;
using DaxLab.Mm;

namespace DaxLab.Cli.Bench;

/// <summary>
/// What a workload runs against: the engine under one design, or the host kernel's own path
/// (a real file on tmpfs, real pwrite, real mmap and real page faults) in the same process.
/// </summary>
public abstract class BenchTarget
{
    /// <summary>The name the host kernel's row carries in tables, CSV and plots.</summary>
    public const string HostName = "host-tmpfs";

    public abstract string Name { get; }

    /// <summary>A fresh, empty file able to grow to <paramref name="bytes"/>; disposing it frees everything.</summary>
    public abstract IBenchFile CreateFile(long bytes);

    public static BenchTarget Engine(Design design) => new EngineTarget(design);

    public static BenchTarget Host { get; } = new HostTarget();
}

/// <summary>The operations the workloads use, in the same shape on both targets.</summary>
public interface IBenchFile : IDisposable
{
    void Write(long offset, ReadOnlySpan<byte> buffer);

    void Read(long offset, Span<byte> buffer);

    void Truncate(long size);

    void PunchHole(long offset, long length);

    /// <summary>A shared read/write mapping of file bytes [offset, offset + length).</summary>
    IBenchMapping Map(long offset, long length);
}

public interface IBenchMapping : IDisposable
{
    void Load(long offset, Span<byte> buffer);

    void Store(long offset, ReadOnlySpan<byte> buffer);

    /// <summary>madvise(MADV_DONTNEED): the next touch of each page faults again.</summary>
    void DropPages(long offset, long length);

    /// <summary>msync(MS_SYNC).</summary>
    void Sync(long offset, long length);
}

/// <summary>The engine on an anonymous-memory device, one file system per file.</summary>
sealed class EngineTarget(Design design) : BenchTarget
{
    /// <summary>Device headroom over the file: metadata, log and the allocator's 2 MiB alignment.</summary>
    const long DeviceSlack = 64L << 20;

    public override string Name => design.Name;

    public override IBenchFile CreateFile(long bytes)
    {
        long device = (bytes * 2 + DeviceSlack + Geometry.PmdSize - 1) / Geometry.PmdSize * Geometry.PmdSize;
        var fs = DaxFileSystem.CreateInMemory(device, new DaxOptions { Design = design });
        return new EngineFile(fs, fs.OpenFile("bench", DaxOpenFlags.Create));
    }

    sealed class EngineFile(DaxFileSystem fs, DaxFile file) : IBenchFile
    {
        public void Write(long offset, ReadOnlySpan<byte> buffer) => file.Write(offset, buffer);

        public void Read(long offset, Span<byte> buffer) => file.Read(offset, buffer);

        public void Truncate(long size) => file.Truncate(size);

        public void PunchHole(long offset, long length) => file.PunchHole(offset, length);

        public IBenchMapping Map(long offset, long length) =>
            new EngineMapping(file.Map(offset, length, MapProtection.Read | MapProtection.Write, MapSharing.Shared));

        public void Dispose()
        {
            file.Dispose();
            fs.Dispose();
        }
    }

    sealed class EngineMapping(DaxMapping map) : IBenchMapping
    {
        public void Load(long offset, Span<byte> buffer) => map.Load(offset, buffer);

        public void Store(long offset, ReadOnlySpan<byte> buffer) => map.Store(offset, buffer);

        public void DropPages(long offset, long length) => map.Advise(offset, length, MapAdvice.DontNeed);

        public void Sync(long offset, long length) => map.Sync(offset, length, MsyncFlags.Sync);

        public void Dispose() => map.Dispose();
    }
}

/// <summary>
/// A real file on /dev/shm (tmpfs: the kernel's page cache with no device behind it, the closest
/// host analogue of a DAX file), unlinked as soon as it is open. Loads and stores are plain
/// pointer copies, so every fault is a real host page fault.
/// </summary>
sealed unsafe class HostTarget : BenchTarget
{
    /// <summary>tmpfs, where a file is memory and nothing else.</summary>
    public const string Directory = "/dev/shm";

    /// <summary>Makes each host file's name unique in this process; advanced only with Interlocked.</summary>
    static int sequence;

    public override string Name => HostName;

    public override IBenchFile CreateFile(long bytes)
    {
        string path = Path.Combine(Directory, $"daxlab-bench-{Environment.ProcessId}-{Interlocked.Increment(ref sequence)}");
        int fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_CREAT, LibC.CreateMode);
        LibC.Check(fd, "open " + path);
        File.Delete(path);
        return new HostFile(fd);
    }

    sealed class HostFile(int fd) : IBenchFile
    {
        public void Write(long offset, ReadOnlySpan<byte> buffer)
        {
            fixed (byte* p = buffer)
                if (LibC.Pwrite(fd, p, buffer.Length, offset) != buffer.Length)
                    throw LibC.Fail("pwrite");
        }

        public void Read(long offset, Span<byte> buffer)
        {
            fixed (byte* p = buffer)
                if (LibC.Pread(fd, p, buffer.Length, offset) < 0)
                    throw LibC.Fail("pread");
        }

        public void Truncate(long size) => LibC.Check(LibC.Ftruncate(fd, size), "ftruncate");

        public void PunchHole(long offset, long length) =>
            LibC.Check(LibC.Fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length), "fallocate");

        public IBenchMapping Map(long offset, long length)
        {
            nint address = LibC.Mmap(0, (nint)length, (int)(MapProtection.Read | MapProtection.Write), LibC.MAP_SHARED, fd, offset);
            if (address == -1)
                throw LibC.Fail("mmap");
            return new HostMapping(address, length);
        }

        public void Dispose() => LibC.Close(fd);
    }

    /// <summary>No bounds or EOF checks: the workloads touch only pages inside i_size.</summary>
    sealed class HostMapping(nint address, long length) : IBenchMapping
    {
        public void Load(long offset, Span<byte> buffer) =>
            new ReadOnlySpan<byte>((byte*)address + offset, buffer.Length).CopyTo(buffer);

        public void Store(long offset, ReadOnlySpan<byte> buffer) =>
            buffer.CopyTo(new Span<byte>((byte*)address + offset, buffer.Length));

        public void DropPages(long offset, long dropLength) =>
            LibC.Check(LibC.Madvise(address + (nint)offset, (nint)dropLength, (int)Io.Backends.IoAdvice.DontNeed), "madvise");

        public void Sync(long offset, long syncLength) =>
            LibC.Check(LibC.Msync(address + (nint)offset, (nint)syncLength, (int)MsyncFlags.Sync), "msync");

        public void Dispose() => LibC.Munmap(address, (nint)length);
    }

    /// <summary>Whether the host side can run here (a Linux tmpfs at <see cref="Directory"/>).</summary>
    public static bool Available => OperatingSystem.IsLinux() && System.IO.Directory.Exists(Directory);
}
