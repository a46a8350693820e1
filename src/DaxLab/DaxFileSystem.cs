using DaxLab.Base;
using DaxLab.Dax;
using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Mm;
using DaxLab.Sync;
using DaxLab.Vfs;

namespace DaxLab;

/// <summary>A mounted DAX file system on a persistent-memory device.</summary>
/// <remarks>Thread-safe: any number of threads may use its files and mappings at once.</remarks>
public sealed class DaxFileSystem : IDisposable
{
    private readonly PmemDevice device;
    private readonly FileSystem fs;
    /// <summary>
    /// Guards the inode cache (each <see cref="Inode.Vfs"/> slot). A leaf on real threads only:
    /// nothing that takes a seam primitive runs under it, so it never blocks a CPU under the
    /// checker. The file system's own namespace lock orders lookups and creations.
    /// </summary>
    private readonly Lock inodeCacheLock = new();
    private bool disposed;

    /// <summary>The design's per-inode locks, made for each inode the cache creates.</summary>
    private readonly Func<DaxInode, InodeLocks> newInodeLocks;

    private DaxFileSystem(PmemDevice device, FileSystem fs, DaxOptions options)
    {
        this.device = device;
        this.fs = fs;
        Core = options.Design.Fs == FsFlavour.Ext4 ? Ext4Core(fs, options) : new DaxCore(fs, options.Seam, options.Design.Dax);
        newInodeLocks = options.Design.NewInodeLocks;
    }

    internal DaxCore Core { get; }

    /// <summary>The DAX core of an ext4 mount: one jbd2 journal, and ext4's iomap_ops starting handles in it.</summary>
    private static DaxCore Ext4Core(FileSystem fs, DaxOptions options)
    {
        var journal = options.Seam.NewJournal("jbd2", Ext4IomapOps.MaxTransactionCredits);
        return new DaxCore(fs, options.Seam, options.Design.Dax, new Ext4IomapOps(fs, journal, options.Design.Ext4WriteHandle), journal);
    }

    /// <summary>mkfs a new sparse device file of <paramref name="size"/> bytes and mount it.</summary>
    public static DaxFileSystem Create(string devicePath, long size, DaxOptions? options = null) =>
        Mount(PmemDevice.CreateFile(devicePath, size), FileSystem.Format, options);

    /// <summary>Mounts an existing device file.</summary>
    public static DaxFileSystem Open(string devicePath, DaxOptions? options = null) =>
        Mount(PmemDevice.OpenFile(devicePath), FileSystem.Mount, options);

    /// <summary>
    /// Mounts an existing device file read-only: the log is replayed into memory, no checkpoint
    /// is written, and the device is never written (XFS's ro,norecovery, without its stale view:
    /// the replayed state is the one a read-write mount would give). Files open only with
    /// <see cref="DaxOpenFlags.ReadOnly"/>; anything else is EROFS.
    /// </summary>
    public static DaxFileSystem OpenReadOnly(string devicePath, DaxOptions? options = null) =>
        Mount(PmemDevice.OpenFileReadOnly(devicePath), FileSystem.MountReadOnly, options);

    /// <summary>Mounts the device file, creating it (sparse, <paramref name="sizeIfNew"/> bytes) if the path does not exist.</summary>
    public static DaxFileSystem OpenOrCreate(string devicePath, long sizeIfNew, DaxOptions? options = null) =>
        File.Exists(devicePath) ? Open(devicePath, options) : Create(devicePath, sizeIfNew, options);

    /// <summary>A file system on an anonymous-memory device: for tests, gone when disposed.</summary>
    public static DaxFileSystem CreateInMemory(long size, DaxOptions? options = null) =>
        Mount(PmemDevice.CreateAnonymous(size), FileSystem.Format, options);

    /// <summary>
    /// mkfs on a device the caller made (the crash-state explorer's, which then turns its
    /// power-fail model on), with a log of <paramref name="logBytes"/> when given (a small log
    /// makes checkpoints). The file system owns the device from then on.
    /// </summary>
    internal static DaxFileSystem Format(PmemDevice device, long? logBytes, DaxOptions? options = null) =>
        Mount(device, (d, seam) => FileSystem.Format(d, seam, logBytes), options);

    /// <summary>The file system under the VFS (the crash-state explorer reads its layout).</summary>
    internal FileSystem Fs => fs;

    /// <summary>Makes the file system on the device with <paramref name="mount"/> (mkfs, mount or read-only mount); a failure releases the device.</summary>
    private static DaxFileSystem Mount(PmemDevice device, Func<PmemDevice, Seam, FileSystem> mount, DaxOptions? options)
    {
        options ??= new DaxOptions();
        try
        {
            return new DaxFileSystem(device, mount(device, options.Seam), options);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>open(2): ENOENT without <see cref="DaxOpenFlags.Create"/>; EINVAL or ENAMETOOLONG for bad names; EROFS for anything but a read-only open on a read-only mount.</summary>
    public DaxFile OpenFile(string name, DaxOpenFlags flags = DaxOpenFlags.None)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        bool readOnlyOpen = (flags & DaxOpenFlags.ReadOnly) != 0;
        if (fs.IsReadOnly && (!readOnlyOpen || (flags & DaxOpenFlags.Truncate) != 0))
            throw new ErrnoException(Errno.EROFS, $"{name}: the file system is mounted read-only");
        var inode = fs.Lookup(name) ?? CreateFile(name, flags);
        var file = new DaxFile(VfsInode(inode), readOnlyOpen);
        if ((flags & DaxOpenFlags.Truncate) != 0)
            file.Truncate(0);
        return file;
    }

    /// <summary>O_CREAT of a name not found; another opener creating it first is no error.</summary>
    private Inode CreateFile(string name, DaxOpenFlags flags)
    {
        if ((flags & DaxOpenFlags.Create) == 0)
            throw new ErrnoException(Errno.ENOENT, $"{name}: no such file");
        try
        {
            return fs.Create(name);
        }
        catch (ErrnoException e) when (e.Errno == Errno.EEXIST && fs.Lookup(name) is not null)
        {
            return fs.Lookup(name)!;
        }
    }

    /// <summary>The VFS inode of <paramref name="inode"/>, created on first use (the inode cache).</summary>
    internal DaxInode VfsInode(Inode inode)
    {
        lock (inodeCacheLock)
        {
            if (inode.Vfs is DaxInode cached)
                return cached;
            var created = new DaxInode(Core, inode, newInodeLocks);
            inode.Vfs = created;
            return created;
        }
    }

    public IReadOnlyList<string> FileNames => fs.Inodes.Select(i => i.Name).ToList();

    public FsSpace Space => fs.Space;

    /// <summary>Mount's warning about a torn or unacknowledged log tail it dropped, or null (docs/fs.md, durability rule for the log tail).</summary>
    public string? RecoveryWarning => fs.Recovery.Warning;

    /// <summary>fsck: the inconsistencies found, empty when the metadata is consistent.</summary>
    public IReadOnlyList<string> Check() => fs.Check();

    /// <summary>Every truncate, hole punch or zero range that dropped a pinned page (a use after free of its block), in words.</summary>
    public IReadOnlyList<string> FreedWhilePinned => Core.Pages.FreedWhilePinned;

    /// <summary>
    /// Frees the device without taking a lock: for a checker run that is over, whose scheduler
    /// no longer runs anyone, so the orderly <see cref="Dispose"/> could not take its locks.
    /// Nothing may touch the file system or its mappings afterwards.
    /// </summary>
    internal void Abandon()
    {
        disposed = true;
        device.Dispose();
    }

    /// <summary>Unmounts: unmaps every mapping still present (their accesses then get SIGSEGV), then releases the device.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        foreach (var inode in fs.Inodes)
        {
            if (inode.Vfs is not DaxInode vfs)
                continue;
            List<VmArea> mappings;
            using (vfs.Mapping.IMmapRwsem.Read())
                mappings = [.. vfs.Mapping.Mappings];
            foreach (var vma in mappings)
                MmapOps.Munmap(vma);
        }
        fs.Dispose();
        device.Dispose();
    }
}
