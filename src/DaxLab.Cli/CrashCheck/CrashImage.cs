using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;

namespace DaxLab.Cli.CrashCheck;

/// <summary>
/// One crash image on a scratch device: mounted read-only and checked as `daxlab fsck` does
/// (<see cref="FileSystem.MountReadOnly"/>, then <see cref="FileSystem.Check"/>), then judged
/// by the workload's oracle.
/// </summary>
internal static class CrashImage
{
    /// <summary>The largest file a crash workload makes: the oracle reads every file whole.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>
    /// The first violation of the mounted image, or null. Every crash image of the format must
    /// mount: the format has no state a power failure may leave that mount refuses (a refusal
    /// means damage the crash cannot explain, docs/fs.md), so a refusal is a violation.
    /// </summary>
    public static string? Violation(PmemDevice image, CrashOracle oracle)
    {
        FileSystem fs;
        try
        {
            fs = FileSystem.MountReadOnly(image, Seam.RealThreads);
        }
        catch (ErrnoException e)
        {
            return $"mount refused the image: {ErrnoException.StrError(e.Errno)}: {e.Message}";
        }
        using (fs)
        {
            IReadOnlyList<string> errors = fs.Check();
            if (errors.Count > 0)
                return $"fsck: {errors[0]}" + (errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "");
            return oracle.Judge(fs);
        }
    }

    /// <summary>A file's bytes as the image holds them: holes and unwritten extents read as zeros.</summary>
    public static byte[] ReadFile(FileSystem fs, Inode inode)
    {
        long size = inode.Size;
        if (size > MaxFileBytes)
            throw new InvalidOperationException($"crash image file '{inode.Name}' is {size} bytes, more than a workload writes");
        var content = new byte[size];
        for (long pos = 0; pos < size;)
        {
            Iomap iomap = fs.IomapBegin(inode, pos, size - pos, IomapOp.Read);
            long end = Math.Min(iomap.End, size);
            if (iomap.Type == IomapType.Mapped)
                fs.Device.Span(iomap.AddrOf(pos), (int)(end - pos)).CopyTo(content.AsSpan((int)pos));
            fs.IomapEnd(inode, pos, size - pos, end - pos, IomapOp.Read, iomap);
            pos = end;
        }
        return content;
    }
}
