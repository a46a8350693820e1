using System.Runtime.InteropServices;
using DaxLab.Base;

namespace DaxLab.Device;

/// <summary>
/// A frozen copy of an anonymous device's bytes, from which any number of devices start
/// copy-on-write (the checker's setup snapshot, #9): the image is a memfd holding the device's
/// non-zero pages, and each device is a private mapping of it, so a device costs one mmap, reads
/// share the image's pages, and only the pages a run stores to are copied. Linux only.
/// </summary>
public sealed unsafe class DeviceImage : IDisposable
{
    private readonly int fd;
    private int disposed;

    private DeviceImage(int fd, long size)
    {
        this.fd = fd;
        Size = size;
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
        }
    }

    /// <summary>A new device whose bytes are the image's until it stores to them; its stores stay its own.</summary>
    public PmemDevice NewDevice()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        nint memory = mmap(0, (nuint)Size, ProtRead | ProtWrite, MapPrivate, fd, 0);
        if (memory == -1)
            throw new ErrnoException(Errno.ENOMEM, $"cannot map a {Size}-byte device from its image (errno {Marshal.GetLastPInvokeError()})");
        return PmemDevice.FromPrivateMapping((byte*)memory, Size);
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
