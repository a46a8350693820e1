using DaxLab.Base;
using DaxLab.Mm;

namespace DaxLab.Io.Backends;

/// <summary>
/// A real host mapping. A .NET process cannot survive a real SIGBUS or SIGSEGV, so before each
/// page is touched this checks the two rules the kernel enforces (a page wholly past EOF raises
/// SIGBUS; a store without PROT_WRITE, or an access outside the mapping, raises SIGSEGV) and
/// throws the engine's exception instead; every allowed access is a real load or store.
/// </summary>
public sealed unsafe class HostMapping(HostIoFile file, nint address, long fileOffset, long length, MapProtection protection) : IIoMapping
{
    public long FileOffset => fileOffset;

    public long Length => length;

    public ulong Address => (ulong)address;

    /// <summary>Copies out page by page, stopping at the first page the kernel would refuse.</summary>
    public void Load(long offset, Span<byte> buffer)
    {
        for (int done = 0, piece; done < buffer.Length; done += piece)
        {
            piece = CheckedPiece(offset + done, buffer.Length - done, needsWrite: false);
            new ReadOnlySpan<byte>((byte*)address + offset + done, piece).CopyTo(buffer.Slice(done, piece));
        }
    }

    /// <summary>Copies in page by page, stopping at the first page the kernel would refuse.</summary>
    public void Store(long offset, ReadOnlySpan<byte> buffer)
    {
        for (int done = 0, piece; done < buffer.Length; done += piece)
        {
            piece = CheckedPiece(offset + done, buffer.Length - done, needsWrite: true);
            buffer.Slice(done, piece).CopyTo(new Span<byte>((byte*)address + offset + done, piece));
        }
    }

    public void Sync(long offset, long syncLength, MsyncFlags flags) =>
        LibC.Check(LibC.Msync(address + (nint)offset, (nint)syncLength, (int)flags), "msync");

    public void Advise(long offset, long adviseLength, IoAdvice advice) =>
        LibC.Check(LibC.Madvise(address + (nint)offset, (nint)adviseLength, (int)advice), "madvise");

    public void Dispose() => LibC.Check(LibC.Munmap(address, (nint)length), "munmap");

    /// <summary>How much of the remaining bytes lie in at's page, once the kernel would allow touching them.</summary>
    int CheckedPiece(long at, int remaining, bool needsWrite)
    {
        int piece = (int)Math.Min(remaining, Geometry.PageSize - at % Geometry.PageSize);
        CheckAccess(at, piece, needsWrite);
        return piece;
    }

    /// <summary>The kernel's verdict on touching [at, at + count) of one page: fine, SIGSEGV or SIGBUS.</summary>
    void CheckAccess(long at, int count, bool needsWrite)
    {
        if (at < 0 || at + count > RoundUpToPage(length))
            throw new SigSegvException($"access at mapping offset {at} is outside the mapping");
        if (protection == MapProtection.None || (needsWrite && !protection.HasFlag(MapProtection.Write)))
            throw new SigSegvException($"{(needsWrite ? "store" : "load")} at mapping offset {at} is not allowed by the protection");
        long pageFileOffset = fileOffset + at / Geometry.PageSize * Geometry.PageSize;
        if (pageFileOffset >= RoundUpToPage(file.CurrentSize()))
            throw new SigBusException($"page at file offset {pageFileOffset} is past EOF", pageFileOffset);
    }

    static long RoundUpToPage(long value) => (value + Geometry.PageSize - 1) / Geometry.PageSize * Geometry.PageSize;
}
