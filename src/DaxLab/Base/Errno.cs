namespace DaxLab.Base;

/// <summary>The Linux error numbers the engine reports, with their C values.</summary>
public enum Errno
{
    EPERM = 1,
    ENOENT = 2,
    EIO = 5,
    EBADF = 9,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    ENAMETOOLONG = 36,
    EOPNOTSUPP = 95,
    EOVERFLOW = 75,
    EUCLEAN = 117,
}

/// <summary>A system call failed; <see cref="Errno"/> says why, as the kernel would.</summary>
public class ErrnoException(Errno errno, string message) : IOException(message)
{
    public Errno Errno { get; } = errno;

    /// <summary>The C library's text for an errno (strerror), as xfs_io prints it.</summary>
    public static string StrError(Errno errno) => errno switch
    {
        Errno.EPERM => "Operation not permitted",
        Errno.ENOENT => "No such file or directory",
        Errno.EIO => "Input/output error",
        Errno.EBADF => "Bad file descriptor",
        Errno.ENOMEM => "Cannot allocate memory",
        Errno.EACCES => "Permission denied",
        Errno.EFAULT => "Bad address",
        Errno.EBUSY => "Device or resource busy",
        Errno.EEXIST => "File exists",
        Errno.ENODEV => "No such device",
        Errno.EISDIR => "Is a directory",
        Errno.EINVAL => "Invalid argument",
        Errno.ENFILE => "Too many open files in system",
        Errno.EFBIG => "File too large",
        Errno.ENOSPC => "No space left on device",
        Errno.ESPIPE => "Illegal seek",
        Errno.EROFS => "Read-only file system",
        Errno.ENAMETOOLONG => "File name too long",
        Errno.EOPNOTSUPP => "Operation not supported",
        Errno.EOVERFLOW => "Value too large for defined data type",
        Errno.EUCLEAN => "Structure needs cleaning",
        _ => "Unknown error " + (int)errno,
    };
}
