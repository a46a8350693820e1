using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using DaxLab.Base;

namespace DaxLab.Device;

/// <summary>
/// The persistent-memory device: a byte-addressable region the engine loads from and stores to
/// directly. Backed by a memory-mapped file (persistent) or by anonymous memory (tests).
/// </summary>
/// <remarks>
/// A MAP_SHARED file mapping keeps every store in the host page cache, so a process killed at
/// any instruction loses nothing it stored; <see cref="Flush"/> (msync) is only needed for
/// durability against the host losing power. Alignment is in device addresses: device address
/// 0 is 2 MiB-aligned by definition, so a PMD mapping of device range [a, a + 2 MiB) needs only
/// a % 2 MiB == 0, whatever the host address of <see cref="Base"/> is.
/// </remarks>
public sealed unsafe class PmemDevice : IDisposable
{
    /// <summary>The largest device: 2^28 blocks keeps block numbers, bitmaps and per-region counts in the allocator's int-indexed arrays.</summary>
    public const long MaxSize = 1L << 40;

    /// <summary>msync flag: write back and wait. MS_SYNC is 4 on Linux, the one platform the device is built for (the flag differs elsewhere).</summary>
    private const int MsSync = 4;

    private readonly MemoryMappedFile? file;
    private readonly MemoryMappedViewAccessor? view;
    private byte* baseAddress;
    /// <summary>Anonymous memory from mmap (Linux), freed with munmap; otherwise from NativeMemory.</summary>
    private bool anonymousMapped;
    private int disposed;

    /// <summary>The power-fail model when on (crash-state exploration); null in every normal run.</summary>
    private PowerFailModel? powerFail;

    private PmemDevice(string? path, long size, MemoryMappedFile? file, MemoryMappedViewAccessor? view, byte* baseAddress, bool readOnly = false)
    {
        Path = path;
        Size = size;
        IsReadOnly = readOnly;
        this.file = file;
        this.view = view;
        this.baseAddress = baseAddress;
    }

    /// <summary>Creates a sparse device file of <paramref name="size"/> bytes; refuses an existing path.</summary>
    public static PmemDevice CreateFile(string path, long size)
    {
        ValidateSize(size);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path))
        {
            throw new ErrnoException(Errno.EEXIST, $"{path}: device file already exists");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ErrnoException(Errno.EACCES, $"{path}: {e.Message}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new ErrnoException(Errno.ENOENT, $"{path}: directory does not exist");
        }
        try
        {
            // SetLength makes a sparse file: no block of the device is written here.
            stream.SetLength(size);
            return MapStream(path, stream, size, readOnly: false);
        }
        catch (IOException e)
        {
            // Leave no half-made device file behind (a later CreateFile would see EEXIST).
            stream.Dispose();
            File.Delete(path);
            throw new ErrnoException(Errno.EIO, $"{path}: cannot create a {size}-byte device: {e.Message}");
        }
    }

    /// <summary>Maps an existing device file, read-write and exclusively (one owner per device).</summary>
    public static PmemDevice OpenFile(string path) => Open(path, readOnly: false);

    /// <summary>
    /// Maps an existing device file read-only (PROT_READ), sharing it only with other read-only
    /// openers: a store through it faults instead of changing the image, and a writer holding it
    /// (or arriving later) is refused with EBUSY, since its changes would make the view inconsistent.
    /// </summary>
    public static PmemDevice OpenFileReadOnly(string path) => Open(path, readOnly: true);

    private static PmemDevice Open(string path, bool readOnly)
    {
        FileStream stream;
        try
        {
            stream = readOnly
                ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read)
                : new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ErrnoException(Errno.ENOENT, $"{path}: no such device file");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ErrnoException(Errno.EACCES, $"{path}: {e.Message}");
        }
        catch (IOException e)
        {
            throw new ErrnoException(Errno.EBUSY, $"{path}: cannot open device file: {e.Message}");
        }
        long size = stream.Length;
        if (!IsValidSize(size))
        {
            stream.Dispose();
            throw new ErrnoException(Errno.EINVAL, $"{path}: {size} bytes is not a device size (a positive multiple of 2 MiB up to {MaxSize} bytes)");
        }
        try
        {
            return MapStream(path, stream, size, readOnly);
        }
        catch (IOException e)
        {
            stream.Dispose();
            throw new ErrnoException(Errno.EIO, $"{path}: cannot map the device: {e.Message}");
        }
    }

    /// <summary>
    /// A device in anonymous memory: gone when disposed. On Linux it is a private anonymous mmap,
    /// whose zeroed pages cost nothing until touched: the checker makes a device per run. (calloc
    /// is not enough: glibc raises its mmap threshold to the size of a freed mmapped block, so from
    /// the second device on calloc took the memory from the heap and memset all of it.) Device
    /// alignment is about device addresses; the host mapping is still 2 MiB-aligned and asks for
    /// transparent huge pages, because a checker run that writes 2 MiB otherwise pays 512 host
    /// page faults for it, most of the run's time.
    /// </summary>
    public static PmemDevice CreateAnonymous(long size)
    {
        ValidateSize(size);
        byte* memory;
        bool mapped = OperatingSystem.IsLinux();
        if (mapped)
        {
            memory = MapAnonymousHuge(size);
        }
        else
        {
            memory = (byte*)NativeMemory.AllocZeroed((nuint)size);
        }
        if (memory is null)
            throw new ErrnoException(Errno.ENOMEM, $"cannot allocate {size} bytes of anonymous device memory");
        return new PmemDevice(null, size, null, null, memory) { anonymousMapped = mapped };
    }

    /// <summary>A device over a private mapping <see cref="DeviceImage"/> made, freed with munmap like an anonymous one.</summary>
    internal static PmemDevice FromPrivateMapping(byte* memory, long size) =>
        new(null, size, null, null, memory) { anonymousMapped = true };

    /// <summary>
    /// A private anonymous mapping of exactly <paramref name="size"/> bytes at a 2 MiB-aligned
    /// address (mapped 2 MiB larger, the slack unmapped), advised MADV_HUGEPAGE; null when out of
    /// memory. Without THP the advice fails and the pages are 4 KiB ones, as before.
    /// </summary>
    internal static byte* MapAnonymousHuge(long size)
    {
        nint raw = mmap(0, (nuint)(size + Geometry.PmdSize), ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (raw == -1)
            return null;
        nint aligned = (nint)Geometry.PmdAlignDown(raw + Geometry.PmdSize - 1);
        if (aligned > raw)
            munmap(raw, (nuint)(aligned - raw));
        long tail = raw + size + Geometry.PmdSize - (aligned + size);
        if (tail > 0)
            munmap((nint)(aligned + size), (nuint)tail);
        madvise(aligned, (nuint)size, MadvHugepage);
        return (byte*)aligned;
    }

    /// <summary>Size in bytes, a multiple of 2 MiB.</summary>
    public long Size { get; }

    /// <summary>Mapped without PROT_WRITE (<see cref="OpenFileReadOnly"/>): any store faults.</summary>
    public bool IsReadOnly { get; }

    /// <summary>The address of device byte 0; valid until disposed.</summary>
    public byte* Base
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            return baseAddress;
        }
    }

    /// <summary>The device bytes [addr, addr + length).</summary>
    public Span<byte> Span(long addr, int length)
    {
        CheckRange(addr, length);
        return new Span<byte>(Base + addr, length);
    }

    /// <summary>
    /// clwb/clflushopt of [addr, addr + length): starts writing the range's cache lines back
    /// to the persistence domain; a <see cref="Fence"/> after it makes them durable. Without the
    /// power-fail model this is msync of the backing file, which returns with the range durable
    /// (nothing for anonymous memory or a read-only mapping, which holds no stores).
    /// </summary>
    public void Flush(long addr, long length)
    {
        CheckRange(addr, length);
        if (powerFail is { } model)
        {
            model.Writeback(addr, length);
            return;
        }
        if (file is null || length == 0 || IsReadOnly)
            return;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
            MsyncRange(addr, length);
        else
            view!.Flush();
    }

    /// <summary>
    /// memcpy_flushcache of <paramref name="from"/> into <paramref name="to"/>, bytes of this
    /// device: write(2)'s copy (<see cref="FlushCache"/>). It does not make the bytes durable;
    /// fsync still flushes and fences the range. With the power-fail model on it is a plain
    /// copy: the model sees stores only by comparing images, so streamed lines would look
    /// cached anyway, and a line that is cached until flushed offers a crash every state a
    /// streamed one can (one that reached the device early is the model's eviction).
    /// </summary>
    public void MemcpyFlushcache(Span<byte> to, ReadOnlySpan<byte> from)
    {
        Invariant.Holds(to.Length == from.Length, "memcpy_flushcache copies whole spans");
        if (powerFail is not null)
        {
            from.CopyTo(to);
            return;
        }
        fixed (byte* destination = to)
        fixed (byte* source = from)
            FlushCache.Copy(destination, source, (nuint)to.Length);
    }

    /// <summary>
    /// sfence: every range flushed before it is durable before any store after it can be. Without
    /// the power-fail model a flush (msync) is already durable when it returns, so this costs one
    /// null test.
    /// </summary>
    public void Fence() => powerFail?.Fence();

    /// <summary>The power-fail model, when <see cref="EnablePowerFailModel"/> turned it on; null otherwise.</summary>
    public PowerFailModel? PowerFail => powerFail;

    /// <summary>
    /// Turns on the power-fail model (the crash-state explorer): from now on stores stay in the
    /// modelled CPU cache until flushed and fenced, and the device's current bytes are taken as
    /// durable. Anonymous devices only, up to <see cref="PowerFailModel.MaxDeviceBytes"/>: the
    /// model keeps a copy of the whole durable image.
    /// </summary>
    public PowerFailModel EnablePowerFailModel(bool fencesOrder = true)
    {
        if (file is not null || Size > PowerFailModel.MaxDeviceBytes)
            throw new ArgumentException($"the power-fail model needs an anonymous device of at most {PowerFailModel.MaxDeviceBytes} bytes");
        if (powerFail is not null)
            throw new InvalidOperationException("the power-fail model is already on");
        powerFail = new PowerFailModel(this, fencesOrder);
        return powerFail;
    }

    /// <summary>The path of the backing file, or null for anonymous memory.</summary>
    public string? Path { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        if (file is null)
        {
            if (anonymousMapped)
                munmap((nint)baseAddress, (nuint)Size);
            else
                NativeMemory.Free(baseAddress);
        }
        else
        {
            view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file!.Dispose();
        }
        baseAddress = null;
    }

    /// <summary>Why a size is refused is the same for every constructor: say it once.</summary>
    private static void ValidateSize(long size)
    {
        if (!IsValidSize(size))
            throw new ErrnoException(Errno.EINVAL, $"device size {size} is not a positive multiple of 2 MiB up to {MaxSize} bytes");
    }

    /// <summary>PMD mappings need whole 2 MiB regions, so the device is made of them.</summary>
    private static bool IsValidSize(long size) => size > 0 && size <= MaxSize && (size & Geometry.PmdMask) == 0;

    /// <summary>Maps the whole file once and keeps the raw pointer for the device's lifetime.</summary>
    private static PmemDevice MapStream(string path, FileStream stream, long size, bool readOnly)
    {
        var access = readOnly ? MemoryMappedFileAccess.Read : MemoryMappedFileAccess.ReadWrite;
        var file = MemoryMappedFile.CreateFromFile(stream, null, size, access, HandleInheritability.None, leaveOpen: false);
        var view = file.CreateViewAccessor(0, size, access);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        // The view may start before the requested offset (allocation granularity): skip to byte 0.
        pointer += view.PointerOffset;
        Invariant.Holds(pointer is not null, "a mapped view has an address");
        return new PmemDevice(path, size, file, view, pointer, readOnly);
    }

    /// <summary>msync wants a host-page-aligned start; widen the range to whole host pages.</summary>
    private void MsyncRange(long addr, long length)
    {
        long hostPage = Environment.SystemPageSize;
        byte* start = Base + addr;
        long startAligned = (long)start & ~(hostPage - 1);
        long end = (long)start + length;
        if (msync((nint)startAligned, (nuint)(end - startAligned), MsSync) != 0)
            throw new ErrnoException(Errno.EIO, $"{Path}: msync failed (errno {Marshal.GetLastPInvokeError()})");
    }

    private void CheckRange(long addr, long length)
    {
        if (addr < 0 || length < 0 || addr > Size || length > Size - addr)
            throw new ArgumentOutOfRangeException(nameof(addr), $"device range [{addr}, {addr}+{length}) is outside the {Size}-byte device");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int msync(nint addr, nuint length, int flags);

    // Linux values of mmap's protections and flags.
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(nint addr, nuint length);

    private const int MadvHugepage = 14;

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(nint addr, nuint length, int advice);
}
