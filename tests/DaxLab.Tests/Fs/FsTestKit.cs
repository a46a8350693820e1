using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;

namespace DaxLab.Tests.Fs;

/// <summary>Devices, file systems and snapshots for the file-system tests.</summary>
internal static class FsTestKit
{
    public const long Mib = 1 << 20;
    public const int Block = FileSystem.BlockSize;

    public static FileSystem NewFs(long size = 32 * Mib, long? logBytes = null) =>
        FileSystem.Format(PmemDevice.CreateAnonymous(size), Seam.RealThreads, logBytes);

    /// <summary>An anonymous device holding a copy of <paramref name="bytes"/> (a crash image).</summary>
    public static unsafe PmemDevice DeviceFrom(byte[] bytes)
    {
        var device = PmemDevice.CreateAnonymous(bytes.Length);
        bytes.CopyTo(new Span<byte>(device.Base, bytes.Length));
        return device;
    }

    public static unsafe byte[] Snapshot(PmemDevice device) => new Span<byte>(device.Base, checked((int)device.Size)).ToArray();

    public static FileSystem MountCopy(byte[] image) => FileSystem.Mount(DeviceFrom(image), Seam.RealThreads);

    /// <summary>The error mount of a copy of <paramref name="image"/> refuses it with (the test fails if it mounts).</summary>
    public static ErrnoException MountFails(byte[] image)
    {
        using var device = DeviceFrom(image);
        return Xunit.Assert.Throws<ErrnoException>(() => FileSystem.Mount(device, Seam.RealThreads));
    }

    /// <summary>Disposes the file system and its device.</summary>
    public static void Destroy(this FileSystem fs)
    {
        var device = fs.Device;
        fs.Dispose();
        device.Dispose();
    }

    /// <summary>Everything observable about the metadata: names, sizes, and what each block maps to.</summary>
    public static string Describe(FileSystem fs)
    {
        var lines = new List<string> { $"free {fs.Space.FreeBlocks}/{fs.Space.TotalBlocks}" };
        foreach (Inode inode in fs.Inodes)
        {
            lines.Add($"{inode.Ino} {inode.Name} size {inode.Size}");
            long pos = 0;
            long end = Math.Max(inode.Size, 64 * Mib);
            while (pos < end)
            {
                Iomap map = fs.IomapBegin(inode, pos, end - pos, IomapOp.Read);
                if (map.Type != IomapType.Hole)
                    lines.Add($"  {map.Type} {map.Offset}+{map.Length} @{map.Addr}");
                pos = map.End;
            }
        }
        return string.Join("\n", lines);
    }

    public static Iomap Write(FileSystem fs, Inode inode, long pos, long length) => fs.IomapBegin(inode, pos, length, IomapOp.Write);
}
