namespace DaxLab.Device;

/// <summary>
/// The persistent-memory device: a byte-addressable region the engine loads from and stores to
/// directly. Backed by a memory-mapped file (persistent) or by anonymous memory (tests).
/// </summary>
public sealed unsafe class PmemDevice : IDisposable
{
    /// <summary>Creates a sparse device file of <paramref name="size"/> bytes; refuses an existing path.</summary>
    public static PmemDevice CreateFile(string path, long size) => throw new NotImplementedException();

    /// <summary>Maps an existing device file.</summary>
    public static PmemDevice OpenFile(string path) => throw new NotImplementedException();

    /// <summary>A device in anonymous memory: gone when disposed.</summary>
    public static PmemDevice CreateAnonymous(long size) => throw new NotImplementedException();

    /// <summary>Size in bytes, a multiple of 2 MiB.</summary>
    public long Size => throw new NotImplementedException();

    /// <summary>The address of device byte 0; valid until disposed.</summary>
    public byte* Base => throw new NotImplementedException();

    /// <summary>The device bytes [addr, addr + length).</summary>
    public Span<byte> Span(long addr, int length) => throw new NotImplementedException();

    /// <summary>Makes [addr, addr + length) durable (msync of the backing file; nothing for anonymous memory).</summary>
    public void Flush(long addr, long length) => throw new NotImplementedException();

    /// <summary>The path of the backing file, or null for anonymous memory.</summary>
    public string? Path => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
