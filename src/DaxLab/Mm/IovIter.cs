using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Sync;

namespace DaxLab.Mm;

/// <summary>
/// Bytes [Offset, Offset + Length) of a user mapping as a system call's buffer (an ITER_UBUF
/// iov_iter): copies to and from it are user accesses that fault through handle_mm_fault.
/// </summary>
/// <remarks>
/// <see cref="Transcript"/>, when given, receives what each copy moved, in the step that moved
/// it: the checker logs a read(2) or write(2) by the bytes it really transferred.
/// </remarks>
public sealed class UserRange
{
    /// <summary>The range, checked against the mapping: a buffer outside it is the caller's mistake.</summary>
    public UserRange(VmArea vma, long offset, int length, byte[]? transcript = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > vma.Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"bytes [{offset}, {offset + length}) are not inside the {vma.Length}-byte mapping");
        if (transcript is not null && transcript.Length != length)
            throw new ArgumentException("a transcript has the buffer's length", nameof(transcript));
        Vma = vma;
        Offset = offset;
        Length = length;
        Transcript = transcript;
    }

    public VmArea Vma { get; }
    public long Offset { get; }
    public int Length { get; }
    public byte[]? Transcript { get; }

    /// <summary>copy_from_user of the range's bytes from <paramref name="at"/> into <paramref name="to"/>, part of <paramref name="kernelMemory"/>.</summary>
    public int CopyFromUser(int at, Span<byte> to, object kernelMemory) =>
        Memory.CopyFromUser(Vma, Offset + at, to, kernelMemory, TranscriptOf(at, to.Length));

    /// <summary>copy_to_user of <paramref name="from"/>, part of <paramref name="kernelMemory"/>, into the range's bytes from <paramref name="at"/>.</summary>
    public int CopyToUser(int at, ReadOnlySpan<byte> from, object kernelMemory) =>
        Memory.CopyToUser(Vma, Offset + at, from, kernelMemory, TranscriptOf(at, from.Length));

    /// <summary>clear_user of <paramref name="count"/> of the range's bytes from <paramref name="at"/>.</summary>
    public int ClearUser(int at, int count) => Memory.ClearUser(Vma, Offset + at, count, TranscriptOf(at, count));

    private Span<byte> TranscriptOf(int at, int count) => Transcript is null ? default : Transcript.AsSpan(at, count);
}

/// <summary>
/// A read(2)'s or write(2)'s buffer (struct iov_iter): plain memory (a span, as a kernel buffer
/// is) or a <see cref="UserRange"/> of a mapping, whose copies may fault on a DAX file while the
/// call holds its locks. A data source (write(2)) is copied from, a destination (read(2)) into;
/// each is consumed as it is copied, as iov_iter is.
/// </summary>
/// <remarks>
/// One struct with a branch on the kind, not an interface: the plain path, the hot one, costs one
/// test per extent and no allocation. A source's plain memory is held as a <see cref="Span{T}"/>
/// but only ever read (<see cref="CopyFromIterFlushCache"/> is a source's one copy).
/// </remarks>
public ref struct IovIter
{
    private Span<byte> memory;
    private readonly UserRange? user;

    private IovIter(Span<byte> memory, UserRange? user, int count, bool dataSource)
    {
        this.memory = memory;
        this.user = user;
        Count = count;
        DataSource = dataSource;
    }

    /// <summary>write(2)'s plain buffer.</summary>
    public static IovIter Source(ReadOnlySpan<byte> memory) =>
        new(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(memory), memory.Length), null, memory.Length, dataSource: true);

    /// <summary>write(2)'s buffer in a mapping.</summary>
    public static IovIter Source(UserRange user) => new(default, user, user.Length, dataSource: true);

    /// <summary>read(2)'s plain buffer.</summary>
    public static IovIter Dest(Span<byte> memory) => new(memory, null, memory.Length, dataSource: false);

    /// <summary>read(2)'s buffer in a mapping.</summary>
    public static IovIter Dest(UserRange user) => new(default, user, user.Length, dataSource: false);

    /// <summary>iov_iter_count: the bytes not copied yet.</summary>
    public int Count { get; private set; }

    /// <summary>iov_iter's data_source: write(2)'s buffer, copied from; else read(2)'s, copied into.</summary>
    public bool DataSource { get; }

    /// <summary>
    /// _copy_from_iter_flushcache (dax_copy_from_iter on pmem): fills <paramref name="to"/>,
    /// bytes of <paramref name="device"/>, from the next bytes; returns how many were copied,
    /// fewer when a user access faulted for good. A plain copy is declared and done in the
    /// caller's step, with the device's memcpy_flushcache; a user copy declares each page's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyFromIterFlushCache(Span<byte> to, Seam seam, PmemDevice device)
    {
        Invariant.Holds(DataSource, "copy_from_iter of read(2)'s buffer");
        if (user is not null)
            return Consumed(user.CopyFromUser(user.Length - Count, to, device));
        seam.AccessMemory(to, write: true);
        device.MemcpyFlushcache(to, memory[..to.Length]);
        return Consumed(to.Length);
    }

    /// <summary>copy_to_iter: the next bytes get <paramref name="from"/>, part of <paramref name="kernelMemory"/>; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyToIter(ReadOnlySpan<byte> from, Seam seam, object kernelMemory)
    {
        Invariant.Holds(!DataSource, "copy_to_iter into write(2)'s buffer");
        if (user is not null)
            return Consumed(user.CopyToUser(user.Length - Count, from, kernelMemory));
        seam.AccessMemory(from, write: false);
        from.CopyTo(memory);
        return Consumed(from.Length);
    }

    /// <summary>iov_iter_zero: the next <paramref name="count"/> bytes get zeros (a hole); returns how many.</summary>
    public int IovIterZero(int count)
    {
        Invariant.Holds(!DataSource, "iov_iter_zero of write(2)'s buffer");
        if (user is not null)
            return Consumed(user.ClearUser(user.Length - Count, count));
        memory[..count].Clear();
        return Consumed(count);
    }

    /// <summary>iov_iter_advance past what a copy moved; a user range's position is its length less <see cref="Count"/>.</summary>
    private int Consumed(int count)
    {
        if (user is null)
            memory = memory[count..];
        Count -= count;
        return count;
    }
}
