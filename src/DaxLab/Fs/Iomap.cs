namespace DaxLab.Fs;

/// <summary>What <c>->iomap_begin</c> found at an offset.</summary>
public enum IomapType
{
    /// <summary>No blocks: reads see zeros.</summary>
    Hole,
    /// <summary>Written blocks on the device.</summary>
    Mapped,
    /// <summary>Allocated but never written (fallocate): reads see zeros.</summary>
    Unwritten,
}

[Flags]
public enum IomapFlags
{
    None = 0,
    /// <summary>IOMAP_F_NEW: the blocks were allocated (or converted from unwritten) by this call.</summary>
    New = 1,
}

/// <summary>The caller's intent, as the kernel's IOMAP_* flags.</summary>
[Flags]
public enum IomapOp
{
    Read = 0,
    /// <summary>IOMAP_WRITE: allocate holes and convert unwritten extents.</summary>
    Write = 1,
    /// <summary>IOMAP_FAULT: called from a page fault.</summary>
    Fault = 2,
}

/// <summary>
/// One extent answer of <c>->iomap_begin</c>: file bytes [<see cref="Offset"/>,
/// <see cref="Offset"/> + <see cref="Length"/>) and, unless a hole, the device byte address of
/// <see cref="Offset"/>. Offset and Length are multiples of the 4 KiB block size.
/// </summary>
public readonly record struct Iomap(IomapType Type, long Offset, long Length, long Addr, IomapFlags Flags)
{
    public const long NoAddr = -1;

    public bool IsNew => (Flags & IomapFlags.New) != 0;

    public long End => Offset + Length;

    /// <summary>The device address of file offset <paramref name="pos"/> inside this extent.</summary>
    public long AddrOf(long pos) => Addr + (pos - Offset);
}
