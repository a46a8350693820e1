using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DaxLab.Mm;

/// <summary>
/// The TLB-shootdown model: a load or store through a page table is one "instruction", and
/// flush_tlb waits until no CPU is inside an instruction that may have used a translation it
/// just removed.
/// </summary>
/// <remarks>
/// Without this, a store racing with truncate could land in a block already freed and handed to
/// another file, which real hardware prevents (the flush IPI waits for the instruction). Each
/// host thread owns a padded slot; an access publishes "in access" with a full fence before it
/// walks the page table, so a flusher that clears an entry, fences, and then sees the slot idle
/// knows the next walk of that thread sees the cleared entry. Under the deterministic scheduler
/// no scheduling point lies inside an access, so a flusher never finds a slot busy.
/// </remarks>
public static class Tlb
{
    [ThreadStatic] private static CpuSlot? current;
    /// <summary>Held only to be finalized with its thread (see <see cref="SlotOwner"/>).</summary>
    [ThreadStatic] private static SlotOwner? owner;
    private static CpuSlot[] slots = [];
    /// <summary>Orders the threads that replace <see cref="slots"/>; flushers read the array without it. A leaf.</summary>
    private static readonly Lock RegistrationLock = new();

    /// <summary>Starts an access; pair with <see cref="EndAccess"/> in a finally.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CpuSlot BeginAccess()
    {
        var slot = current ?? Register();
        Interlocked.Exchange(ref slot.InAccess, 1);
        return slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EndAccess(CpuSlot slot) => Volatile.Write(ref slot.InAccess, 0);

    /// <summary>flush_tlb_range: returns once no access that began before the call is still running.</summary>
    public static void Flush()
    {
        Interlocked.MemoryBarrier();
        var self = current;
        foreach (var slot in Volatile.Read(ref slots))
        {
            if (slot == self || slot.Retired || Volatile.Read(ref slot.InAccess) == 0)
                continue;
            var spin = new SpinWait();
            while (Volatile.Read(ref slot.InAccess) != 0)
                spin.SpinOnce();
        }
    }

    /// <summary>Adds the calling thread's slot, dropping the slots of threads that have ended.</summary>
    private static CpuSlot Register()
    {
        var slot = new CpuSlot();
        lock (RegistrationLock)
            Volatile.Write(ref slots, [.. slots.Where(s => !s.Retired), slot]);
        current = slot;
        owner = new SlotOwner(slot);
        return slot;
    }

    /// <summary>Lives as long as its thread: when the thread ends and the collector finalizes it, the slot retires.</summary>
    private sealed class SlotOwner(CpuSlot slot)
    {
        ~SlotOwner() => slot.Retired = true;
    }

    /// <summary>One host thread's access flag, alone on its cache line.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 128)]
    public sealed class CpuSlot
    {
        internal long InAccess;
        internal volatile bool Retired;
    }
}
