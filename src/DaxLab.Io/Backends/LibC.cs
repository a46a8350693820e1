using System.Runtime.InteropServices;
using DaxLab.Base;

namespace DaxLab.Io.Backends;

/// <summary>
/// The Linux x86-64 C library calls behind <see cref="HostIoFile"/>. Every call sets errno on
/// failure; <see cref="Fail"/> turns it into the same ErrnoException the engine throws.
/// </summary>
static unsafe partial class LibC
{
    public const int O_RDONLY = 0x0;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_CLOEXEC = 0x80000;
    /// <summary>xfs_io creates files with mode 0600.</summary>
    public const int CreateMode = 0x180;

    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    public const int MAP_SHARED = 0x01;
    public const int MAP_SHARED_VALIDATE = 0x03;
    public const int MAP_SYNC = 0x80000;

    /// <summary>_IOWR('f', 11, struct fiemap).</summary>
    public const uint FS_IOC_FIEMAP = 0xC020660B;
    public const uint FIEMAP_FLAG_SYNC = 0x1;
    public const uint FIEMAP_FLAG_XATTR = 0x2;

    /// <summary>ioctl(2) with a pointer argument (the variadic third argument travels in a register, as a fixed one would).</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint Pread(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint Pwrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int Fdatasync(int fd);

    /// <summary>struct stat on x86-64 is 144 bytes: st_ino at 8, st_size at 48, st_blocks at 64.</summary>
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static partial int Fstat(int fd, byte* statBuffer);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nint length);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    public static partial int Msync(nint address, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nint length, int advice);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrErrorNative(int errno);

    /// <summary>The C library's text for an errno the engine's enum does not name.</summary>
    public static string StrError(int errno) => Marshal.PtrToStringUTF8(StrErrorNative(errno)) ?? $"Unknown error {errno}";

    /// <summary>The failed call's errno as an exception.</summary>
    public static ErrnoException Fail(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new ErrnoException((Errno)errno, call);
    }

    /// <summary>Throws the call's errno when the C convention says it failed.</summary>
    public static void Check(int result, string call)
    {
        if (result < 0)
            throw Fail(call);
    }
}
