namespace DaxLab.Fs;

/// <summary>
/// An inode of the file system: a name in the one flat directory, a size and an extent map.
/// </summary>
/// <remarks>
/// The extent map and i_size are changed only through <see cref="FileSystem"/>. Readers of
/// <see cref="Size"/> need no lock (i_size_read); its writers hold i_rwsem exclusive, or
/// i_rwsem shared plus the ILOCK for a write extending the file.
/// </remarks>
public sealed class Inode
{
    public long Ino => throw new NotImplementedException();

    public string Name => throw new NotImplementedException();

    /// <summary>i_size_read.</summary>
    public long Size => throw new NotImplementedException();

    /// <summary>Slot for the VFS/DAX layer's per-inode state (its address_space), set once.</summary>
    public object? Vfs { get; set; }
}
