using System.Runtime.InteropServices;
using DaxLab.Base;

namespace DaxLab.Device;

/// <summary>
/// A frozen copy of an anonymous device's bytes, from which any number of devices start
/// copy-on-write (the checker's setup snapshot, #9): the image is a memfd holding the device's
/// non-zero pages, and each device maps it privately, so reads share the image's pages and only
/// the pages a run stores to are copied. Linux only.
/// </summary>
/// <remarks>
/// Only the 2 MiB chunks of the image that hold data are mapped from it; the others stay the
/// anonymous huge-page memory a fresh device is (<see cref="PmemDevice.MapAnonymousHuge"/>). A
/// private file mapping copies on write 4 KiB at a time, so a run that zeroes a newly allocated
/// 2 MiB block in an empty chunk would take 512 faults there instead of one huge-page fault.
/// </remarks>
public sealed unsafe class DeviceImage : IDisposable
{
    private readonly int fd;
    private int disposed;
    /// <summary>Per 2 MiB chunk of the device: whether the image holds a non-zero page there.</summary>
    private readonly bool[] chunkHasData;

    private DeviceImage(int fd, long size)
    {
        this.fd = fd;
        Size = size;
        chunkHasData = new bool[size / Geometry.PmdSize];
    }

    /// <summary>The size of every device made from the image.</summary>
    public long Size { get; }

    /// <summary>Whether this host can make images (memfd and private file mappings).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Copies <paramref name="device"/>'s bytes now; later stores to it do not reach the image.</summary>
    /// <exception cref="NotSupportedException">The device is a file, or holds a power-fail model, or the host has no memfd.</exception>
    public static DeviceImage Of(PmemDevice device)
    {
        if (!Supported || device.Path is not null || device.PowerFail is not null)
            throw new NotSupportedException("only an anonymous device without a power-fail model can be imaged, on Linux");
        int fd = memfd_create("daxlab-device-image", 0);
        if (fd < 0)
            throw new NotSupportedException($"memfd_create failed (errno {Marshal.GetLastPInvokeError()})");
        var image = new DeviceImage(fd, device.Size);
        try
        {
            if (ftruncate(fd, device.Size) != 0)
                throw new IOException($"ftruncate of the device image failed (errno {Marshal.GetLastPInvokeError()})");
            image.WriteNonZeroPages(device.Base);
        }
        catch
        {
            image.Dispose();
            throw;
        }
        return image;
    }

    /// <summary>The device's bytes page by page; the zero pages stay holes of the memfd, which read as zeros and take no memory.</summary>
    private void WriteNonZeroPages(byte* source)
    {
        for (long at = 0; at < Size; at += Geometry.PageSize)
        {
            var page = new ReadOnlySpan<byte>(source + at, (int)Geometry.PageSize);
            if (page.IndexOfAnyExcept((byte)0) < 0)
                continue;
            if (pwrite(fd, source + at, (nuint)Geometry.PageSize, at) != Geometry.PageSize)
                throw new IOException($"writing the device image failed (errno {Marshal.GetLastPInvokeError()})");
            chunkHasData[at / Geometry.PmdSize] = true;
        }
    }

    /// <summary>A new device whose bytes are the image's until it stores to them; its stores stay its own.</summary>
    public PmemDevice NewDevice()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        byte* memory = PmemDevice.MapAnonymousHuge(Size);
        if (memory == null)
            throw new ErrnoException(Errno.ENOMEM, $"cannot map a {Size}-byte device (errno {Marshal.GetLastPInvokeError()})");
        var device = PmemDevice.FromPrivateMapping(memory, Size);
        for (int chunk = 0; chunk < chunkHasData.Length; chunk++)
        {
            long at = chunk * Geometry.PmdSize;
            if (chunkHasData[chunk] && mmap((nint)(memory + at), (nuint)Geometry.PmdSize, ProtRead | ProtWrite, MapPrivate | MapFixed, fd, (nint)at) == -1)
            {
                int errno = Marshal.GetLastPInvokeError();
                device.Dispose();
                throw new ErrnoException(Errno.ENOMEM, $"cannot map a {Size}-byte device from its image (errno {errno})");
            }
        }
        return device;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            close(fd);
    }

    // Linux values of mmap's protections and flags.
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int MapFixed = 0x10;

    [DllImport("libc", SetLastError = true)]
    private static extern int memfd_create(string name, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int ftruncate(int fd, long length);

    [DllImport("libc", SetLastError = true)]
    private static extern nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
