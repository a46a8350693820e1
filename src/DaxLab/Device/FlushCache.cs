using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DaxLab.Device;

/// <summary>
/// memcpy_flushcache (arch/x86/lib/usercopy_64.c): the copy write(2) makes into persistent
/// memory (pmem_copy_from_iter). The body goes out with non-temporal stores, which write whole
/// lines to memory without first reading them into the cache (no read-for-ownership) and leave
/// nothing dirty behind; the unaligned head and tail are plain stores, as the kernel's are.
/// </summary>
/// <remarks>
/// Why it matters here: a 4 KiB plain copy into cold device lines fills the store buffer with
/// misses, and the first locked instruction after it (the fsync range's lock, ILOCK, up_write)
/// waits for all 64 lines to be read in and written. Non-temporal stores skip the reads.
/// Unlike the kernel's, this copy ends with an sfence: non-temporal stores are weakly ordered,
/// and the engine publishes the data with plain stores and lock releases that must not pass
/// them (another thread that takes i_rwsem next reads the bytes through the cache).
/// </remarks>
public static unsafe class FlushCache
{
    /// <summary>Below this, a plain copy: the sfence and the head and tail cost more than the read-for-ownership saved.</summary>
    private const int MinBytes = 256;

    /// <summary>Copies <paramref name="length"/> bytes from <paramref name="source"/> to <paramref name="destination"/>; overlapping ranges take memmove.</summary>
    public static void Copy(byte* destination, byte* source, nuint length)
    {
        bool overlap = destination < source + length && source < destination + length;
        if (length < MinBytes || !Avx.IsSupported || overlap)
        {
            Buffer.MemoryCopy(source, destination, length, length);
            return;
        }
        nuint head = (nuint)(-(nint)destination & (Vector256<byte>.Count - 1));
        Buffer.MemoryCopy(source, destination, head, head);
        nuint at = head, body = head + ((length - head) & ~(nuint)(Vector256<byte>.Count * 4 - 1));
        for (; at < body; at += (nuint)Vector256<byte>.Count * 4)
            StoreFour(destination + at, source + at);
        for (; at + (nuint)Vector256<byte>.Count <= length; at += (nuint)Vector256<byte>.Count)
            Avx.StoreAlignedNonTemporal(destination + at, Avx.LoadVector256(source + at));
        Buffer.MemoryCopy(source + at, destination + at, length - at, length - at);
        Sse.StoreFence();
    }

    /// <summary>Two lines: four loads first, then four streaming stores, so the loads overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFour(byte* destination, byte* source)
    {
        var a = Avx.LoadVector256(source);
        var b = Avx.LoadVector256(source + 32);
        var c = Avx.LoadVector256(source + 64);
        var d = Avx.LoadVector256(source + 96);
        Avx.StoreAlignedNonTemporal(destination, a);
        Avx.StoreAlignedNonTemporal(destination + 32, b);
        Avx.StoreAlignedNonTemporal(destination + 64, c);
        Avx.StoreAlignedNonTemporal(destination + 96, d);
    }
}
