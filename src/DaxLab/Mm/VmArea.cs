using System.Runtime.InteropServices;
using DaxLab.Base;
using DaxLab.Device;
using DaxLab.Index;
using DaxLab.Sync;

namespace DaxLab.Mm;

/// <summary>
/// vm_area_struct of one user mapping of a DAX file, with its own page table.
/// </summary>
/// <remarks>
/// Locks declared here:
/// <list type="bullet">
/// <item><see cref="MmapLock"/> (mmap_lock): read by faults, write by munmap, so a fault never
/// runs on a torn-down mapping. Order: mmap_lock → i_mmap_sem → entry lock.</item>
/// <item><see cref="Ptl"/> (the page-table lock) guards every change of the page table and of
/// the private pages. Accesses walk the table without it, as the MMU does: entries are single
/// words written with release semantics, and a removed translation is retired with
/// <see cref="Tlb.Flush"/> before what it pointed at is reused. Order: i_mmap_rwsem → ptl.</item>
/// </list>
/// The virtual start is chosen congruent to the file offset modulo 2 MiB, as
/// thp_get_unmapped_area does for DAX files, so PMD mappings are possible.
/// </remarks>
public sealed unsafe class VmArea
{
    private static long nextVirtualBase = 0x7f00_0000_0000;

    private readonly ulong[] pmds;
    private readonly ulong[]?[] pteTables;
    private nint[] anonPages = new nint[16];
    private int anonCount;
    private readonly Stack<int> freeAnonSlots = new();

    internal VmArea(AddressSpace mapping, IVmOperations ops, PmemDevice device, Seam seam,
        long pgoff, long length, MapProtection protection, bool shared)
    {
        Invariant.Holds(length > 0, "an empty mapping");
        Mapping = mapping;
        Ops = ops;
        Device = device;
        Pgoff = pgoff;
        Length = Geometry.PageAlignUp(length);
        Protection = protection;
        Shared = shared;
        long colour = (pgoff << Geometry.PageShift) & Geometry.PmdMask;
        long reserve = Geometry.PmdAlignDown(Length + 2 * Geometry.PmdSize);
        Start = Interlocked.Add(ref nextVirtualBase, reserve) - reserve + colour;
        long firstSlot = Start >> Geometry.PmdShift, lastSlot = (End - 1) >> Geometry.PmdShift;
        pmds = new ulong[lastSlot - firstSlot + 1];
        pteTables = new ulong[]?[pmds.Length];
        Seam = seam;
        Ptl = seam.NewSpinLock("ptl");
        MmapLock = seam.NewRwSemaphore("mmap_lock");
    }

    /// <summary>Whether private copies (native pages) were ever made here: a copy of the object would share them.</summary>
    internal bool HasPrivatePages => anonCount > 0;

    public AddressSpace Mapping { get; }
    public IVmOperations Ops { get; }
    public PmemDevice Device { get; }

    /// <summary>vm_pgoff: the file page mapped at <see cref="Start"/>.</summary>
    public long Pgoff { get; }
    public long Start { get; }
    public long Length { get; }
    public long End => Start + Length;
    public MapProtection Protection { get; }
    public bool Shared { get; }

    /// <summary>VM_SYNC (MAP_SYNC): a write fault makes the file's metadata durable before the page is mapped writable.</summary>
    public bool Sync { get; init; }
    public Seam Seam { get; }
    public Spinlock Ptl { get; }
    public RwSemaphore MmapLock { get; }

    /// <summary>Set by munmap under the write mmap_lock; accesses then get SIGSEGV.</summary>
    public bool Unmapped { get; internal set; }

    public long PgoffOf(long address) => Pgoff + ((address - Start) >> Geometry.PageShift);

    public long AddressOf(long pgoff) => Start + ((pgoff - Pgoff) << Geometry.PageShift);

    private int SlotOf(long address) => (int)((address >> Geometry.PmdShift) - (Start >> Geometry.PmdShift));

    /// <summary>
    /// Every change of a page-table word goes through here: the ptl is held (the rule written on
    /// <see cref="Ptl"/>), and the word is published with release semantics for the lockless walk.
    /// </summary>
    private void SetEntry(ref ulong word, ulong value)
    {
        Invariant.Holds(Ptl.IsHeld, "ptl is held when a page-table entry changes");
        Volatile.Write(ref word, value);
    }

    /// <summary>The PMD-level entry for <paramref name="address"/>: none, huge, or <see cref="PteTableMarker"/>.</summary>
    public Pte ReadPmd(long address) => new(Volatile.Read(ref pmds[SlotOf(address)]));

    /// <summary>The value a PMD slot holds when it points at a PTE table.</summary>
    public static readonly Pte PteTableMarker = new(1UL << 63);

    /// <summary>The PTE for <paramref name="address"/>, or none if the slot holds no PTE table.</summary>
    public Pte ReadPte(long address)
    {
        var table = Volatile.Read(ref pteTables[SlotOf(address)]);
        return table is null ? Pte.None : new Pte(Volatile.Read(ref table[PteIndex(address)]));
    }

    private static int PteIndex(long address) => (int)((address >> Geometry.PageShift) & (Geometry.PagesPerPmd - 1));

    /// <summary>
    /// Walks the table as the MMU does: the host address of <paramref name="address"/> and
    /// whether it may be written, or null on a miss. Context: inside a TLB access.
    /// </summary>
    public byte* Translate(long address, bool write)
    {
        int slot = SlotOf(address);
        var pmd = new Pte(Volatile.Read(ref pmds[slot]));
        Pte pte;
        long offsetInPage;
        if (pmd.IsHuge)
        {
            pte = pmd;
            offsetInPage = address & Geometry.PmdMask;
        }
        else
        {
            var table = Volatile.Read(ref pteTables[slot]);
            if (table is null)
                return null;
            pte = new Pte(Volatile.Read(ref table[PteIndex(address)]));
            offsetInPage = address & Geometry.PageMask;
        }
        if (!pte.IsPresent || (write && !pte.IsWritable))
            return null;
        return FrameAddress(pte) + offsetInPage;
    }

    private byte* FrameAddress(Pte pte) => pte.Kind switch
    {
        PageKind.Device => Device.Base + (pte.Frame << Geometry.PageShift),
        PageKind.ZeroPage => pte.IsHuge ? ZeroPages.Huge : ZeroPages.Small,
        // A hole page holds zeros and is never written in place (a write fault replaces it).
        PageKind.HolePage => ZeroPages.Small,
        _ => (byte*)Volatile.Read(ref anonPages)[pte.Frame],
    };

    /// <summary>
    /// Installs a PTE (insert_pfn). If one is present already, only makes it writable when
    /// <paramref name="mkwrite"/> asks and it maps the same frame: another fault won the race.
    /// A huge PMD over the slot means the fault never re-checked the page-table level: the
    /// kernel would write a PTE into a huge page's frame, so the model stops there.
    /// Context: ptl not held; takes it.
    /// </summary>
    public void SetPte(long address, Pte pte, bool mkwrite)
    {
        using var ptl = Ptl.Hold();
        int slot = SlotOf(address);
        if (new Pte(pmds[slot]).IsHuge)
            throw new PageTableCorruptionException($"a PTE fault at file offset {PgoffOf(address) << Geometry.PageShift} found a huge PMD mapped over its page table");
        var table = EnsurePteTable(slot);
        ref ulong entry = ref table[PteIndex(address)];
        var old = new Pte(entry);
        if (old.IsNone)
            SetEntry(ref entry, pte.Value);
        else if (mkwrite && old.Kind == pte.Kind && old.Frame == pte.Frame)
            SetEntry(ref entry, old.MadeWritable.Value);
    }

    /// <summary>
    /// finish_mkwrite_fault: makes the PTE at <paramref name="address"/> writable if it is still
    /// <paramref name="expected"/>; otherwise another CPU changed it and the access retries.
    /// Context: takes ptl.
    /// </summary>
    public void FinishMkwrite(long address, Pte expected)
    {
        using var ptl = Ptl.Hold();
        int slot = SlotOf(address);
        if (new Pte(pmds[slot]).IsHuge || pteTables[slot] is not { } table)
            return;
        ref ulong entry = ref table[PteIndex(address)];
        if (entry == expected.Value)
            SetEntry(ref entry, expected.MadeWritable.Value);
    }

    /// <summary>
    /// Installs a huge PMD as the radix-era insert_pfn_pmd did: set_pmd_at over whatever the slot
    /// holds, with no pmd_none check (later kernels added one). Over a huge PMD that is harmless,
    /// the same blocks are mapped again. Over a page table, which only a fault that never
    /// re-checked the page-table level can meet, the table is leaked with every translation in
    /// it: the model keeps the loss in <see cref="LeakedPageTables"/> for the oracle.
    /// Context: takes ptl.
    /// </summary>
    public void SetPmd(long address, Pte pmd)
    {
        Invariant.Holds(pmd.IsHuge, "SetPmd with a PTE");
        using var ptl = Ptl.Hold();
        int slot = SlotOf(address);
        if (pteTables[slot] is { } table)
        {
            int lost = table.Count(pte => new Pte(pte).IsPresent);
            LeakedPageTables.Add($"a PMD fault at file offset {PgoffOf(address) << Geometry.PageShift} mapped a huge page over a page table, leaking it and its {lost} translation(s)");
            Volatile.Write(ref pteTables[slot], null);
        }
        SetEntry(ref pmds[slot], pmd.Value);
    }

    /// <summary>
    /// Installs a huge PMD only where the slot is empty, as dax_pmd_load_hole checks pmd_none
    /// under the PMD lock before it maps the huge zero page; false leaves the slot as it was.
    /// Context: takes ptl.
    /// </summary>
    public bool SetPmdIfNone(long address, Pte pmd)
    {
        Invariant.Holds(pmd.IsHuge, "SetPmdIfNone with a PTE");
        using var ptl = Ptl.Hold();
        ref ulong slot = ref pmds[SlotOf(address)];
        if (slot != 0)
            return false;
        SetEntry(ref slot, pmd.Value);
        return true;
    }

    /// <summary>Page tables a huge PMD was written over (insert_pfn_pmd's leak), in words; guarded by ptl.</summary>
    public List<string> LeakedPageTables { get; } = [];

    /// <summary>
    /// split_huge_pmd for a file mapping: a huge PMD at <paramref name="address"/>'s slot is
    /// cleared (the file's pages fault in again as PTEs); a page table is left alone.
    /// Context: takes ptl.
    /// </summary>
    public void SplitHugePmd(long address)
    {
        using (Ptl.Hold())
        {
            ref ulong slot = ref pmds[SlotOf(address)];
            if (!new Pte(slot).IsHuge)
                return;
            SetEntry(ref slot, 0);
        }
        Tlb.Flush();
    }

    /// <summary>Whether file page <paramref name="pgoff"/> is mapped here by a hole page (page_mapped of that page).</summary>
    public bool MapsHolePage(long pgoff)
    {
        long address = AddressOf(pgoff);
        return address >= Start && address < End && ReadPte(address).Kind == PageKind.HolePage && ReadPte(address).IsPresent;
    }

    /// <summary>Whether a present translation here maps file page <paramref name="first"/> or a later one.</summary>
    public bool MapsPagesFrom(long first) => FirstTranslationFrom(first) is not null;

    /// <summary>The first present translation (a huge one counts if any of its pages does) of file page <paramref name="first"/> or a later one, or null.</summary>
    public (long Address, Pte Entry)? FirstTranslationFrom(long first)
    {
        foreach (var (address, pte) in PresentEntries())
        {
            if (PgoffOf(address) + (pte.IsHuge ? Geometry.PagesPerPmd : 1) - 1 >= first)
                return (address, pte);
        }
        return null;
    }

    /// <summary>Whether the 2 MiB slot of <paramref name="address"/> has a PTE table (pmd_none fails, not huge).</summary>
    public bool HasPteTable(long address) => Volatile.Read(ref pteTables[SlotOf(address)]) is not null;

    /// <summary>
    /// zap_page_range for [start, end): clears entries and retires them. A huge PMD touched at
    /// all is cleared whole (splitting a file PMD zaps it; later faults map PTEs). Private
    /// pages go only when <paramref name="evenCows"/>. Context: takes ptl.
    /// </summary>
    public void Zap(long start, long end, bool evenCows)
    {
        start = Math.Max(start, Start);
        end = Math.Min(end, End);
        if (start >= end)
            return;
        List<int>? freedAnon = null;
        using (Ptl.Hold())
        {
            for (long address = start; address < end;)
            {
                int slot = SlotOf(address);
                long slotEnd = Math.Min(end, Geometry.PmdAlignDown(address) + Geometry.PmdSize);
                if (new Pte(pmds[slot]).IsHuge)
                    SetEntry(ref pmds[slot], 0);
                else if (pteTables[slot] is { } table)
                    ZapPtes(table, address, slotEnd, evenCows, ref freedAnon);
                address = slotEnd;
            }
        }
        Tlb.Flush();
        if (freedAnon is not null)
            FreeAnonPages(freedAnon);
    }

    private void ZapPtes(ulong[] table, long start, long end, bool evenCows, ref List<int>? freedAnon)
    {
        for (long address = start; address < end; address += Geometry.PageSize)
        {
            ref ulong entry = ref table[PteIndex(address)];
            var pte = new Pte(entry);
            if (pte.IsNone || (pte.Kind == PageKind.Anon && !evenCows))
                continue;
            if (pte.Kind == PageKind.Anon)
                (freedAnon ??= []).Add((int)pte.Frame);
            SetEntry(ref entry, 0);
        }
    }

    /// <summary>
    /// Write-protects the translations of file pages <paramref name="pgoff"/> to
    /// <paramref name="pgoff"/> + <paramref name="pages"/> - 1 that map device pages
    /// <paramref name="pfn"/> onwards: a huge PMD mapping <paramref name="pfn"/> (when
    /// <paramref name="followHugePmd"/>), else each PTE. With one page this is v4.12's
    /// dax_mapping_entry_mkclean (follow_pte_pmd at the entry's index, with a pfn check), so a
    /// PMD entry mapped with 4 KiB PTEs keeps all but its first page writable (fixed upstream in
    /// 2022 by "dax: fix missing writeprotect the pte entry", which walks every page).
    /// Context: takes ptl.
    /// </summary>
    public void WriteProtect(long pgoff, long pfn, long pages, bool followHugePmd)
    {
        long first = Math.Max(AddressOf(pgoff), Start);
        long end = Math.Min(AddressOf(pgoff + pages), End);
        if (first >= end)
            return;
        using (Ptl.Hold())
        {
            for (long address = first; address < end; address += Geometry.PageSize)
                WriteProtectOne(address, pfn + ((address - AddressOf(pgoff)) >> Geometry.PageShift), followHugePmd);
        }
        Tlb.Flush();
    }

    /// <summary>One page of <see cref="WriteProtect"/>: its huge PMD (when <paramref name="followHugePmd"/>) or its PTE, if that maps device page <paramref name="pfn"/>. Context: ptl held.</summary>
    private void WriteProtectOne(long address, long pfn, bool followHugePmd)
    {
        int slot = SlotOf(address);
        var pmd = new Pte(pmds[slot]);
        if (pmd.IsHuge)
        {
            if (followHugePmd && pmd.Kind == PageKind.Device && pmd.Frame + ((address & Geometry.PmdMask) >> Geometry.PageShift) == pfn && pmd.IsWritable)
                SetEntry(ref pmds[slot], pmd.WriteProtected.Value);
            return;
        }
        if (pteTables[slot] is not { } table)
            return;
        ref ulong entry = ref table[PteIndex(address)];
        var pte = new Pte(entry);
        if (pte.Kind == PageKind.Device && pte.Frame == pfn && pte.IsWritable)
            SetEntry(ref entry, pte.WriteProtected.Value);
    }

    /// <summary>A new private page holding a copy of <paramref name="source"/> (4 KiB), or zeros when null.</summary>
    public static byte* NewPrivatePage(byte* source)
    {
        var page = (byte*)NativeMemory.AlignedAlloc(Geometry.PageSize, Geometry.PageSize);
        if (source is null)
            NativeMemory.Clear(page, Geometry.PageSize);
        else
            Buffer.MemoryCopy(source, page, Geometry.PageSize, Geometry.PageSize);
        return page;
    }

    /// <summary>
    /// Maps a private <paramref name="page"/> (from <see cref="NewPrivatePage"/>) writable at
    /// <paramref name="address"/>, the end of a copy-on-write, unless the PTE changed from
    /// <paramref name="expected"/> meanwhile: then the page is freed, and the access that faulted
    /// retries and finds what changed.
    /// Context: takes ptl.
    /// </summary>
    public void MapPrivateCopy(long address, Pte expected, byte* page)
    {
        bool installed;
        using (Ptl.Hold())
        {
            int slot = SlotOf(address);
            installed = !new Pte(pmds[slot]).IsHuge && ReadPteLocked(slot, address) == expected;
            if (installed)
            {
                int frame = AllocAnonSlot((nint)page);
                var table = EnsurePteTable(slot);
                SetEntry(ref table[PteIndex(address)], Pte.Make(PageKind.Anon, frame, writable: true, huge: false).Value);
            }
        }
        if (!installed)
        {
            NativeMemory.AlignedFree(page);
            return;
        }
        if (!expected.IsNone)
            Tlb.Flush();
    }

    private Pte ReadPteLocked(int slot, long address) =>
        pteTables[slot] is { } table ? new Pte(table[PteIndex(address)]) : Pte.None;

    private ulong[] EnsurePteTable(int slot)
    {
        var table = pteTables[slot];
        if (table is not null)
            return table;
        table = new ulong[Geometry.PagesPerPmd];
        Volatile.Write(ref pteTables[slot], table);
        SetEntry(ref pmds[slot], PteTableMarker.Value);
        return table;
    }

    /// <summary>The host address of the page a present PTE maps (for copy-on-write).</summary>
    public byte* PageAddress(Pte pte, long address) =>
        pte.IsHuge ? FrameAddress(pte) + (address & Geometry.PmdMask & ~Geometry.PageMask) : FrameAddress(pte);

    private int AllocAnonSlot(nint page)
    {
        if (freeAnonSlots.TryPop(out int reused))
        {
            anonPages[reused] = page;
            return reused;
        }
        if (anonCount == anonPages.Length)
        {
            var grown = new nint[anonPages.Length * 2];
            anonPages.CopyTo(grown, 0);
            Volatile.Write(ref anonPages, grown);
        }
        anonPages[anonCount] = page;
        return anonCount++;
    }

    private void FreeAnonPages(List<int> frames)
    {
        using var ptl = Ptl.Hold();
        foreach (int frame in frames)
        {
            NativeMemory.AlignedFree((void*)anonPages[frame]);
            anonPages[frame] = 0;
            freeAnonSlots.Push(frame);
        }
    }

    /// <summary>Frees what munmap leaves: the private pages. Context: mmap_lock held for write, table zapped.</summary>
    internal void ReleasePrivatePages()
    {
        using var ptl = Ptl.Hold();
        for (int i = 0; i < anonCount; i++)
        {
            if (anonPages[i] != 0)
                NativeMemory.AlignedFree((void*)anonPages[i]);
            anonPages[i] = 0;
        }
        anonCount = 0;
        freeAnonSlots.Clear();
    }

    /// <summary>Every present entry, for the checker's oracle and tests: (address, entry).</summary>
    public IEnumerable<(long Address, Pte Entry)> PresentEntries()
    {
        for (int slot = 0; slot < pmds.Length; slot++)
        {
            long slotBase = ((Start >> Geometry.PmdShift) + slot) << Geometry.PmdShift;
            var pmd = new Pte(Volatile.Read(ref pmds[slot]));
            if (pmd.IsHuge)
            {
                yield return (slotBase, pmd);
                continue;
            }
            var table = Volatile.Read(ref pteTables[slot]);
            if (table is null)
                continue;
            for (int i = 0; i < table.Length; i++)
            {
                var pte = new Pte(Volatile.Read(ref table[i]));
                if (pte.IsPresent)
                    yield return (slotBase + ((long)i << Geometry.PageShift), pte);
            }
        }
    }
}

/// <summary>The shared zero page and huge zero page: read-only zeros, never freed.</summary>
public static unsafe class ZeroPages
{
    public static readonly byte* Small = Allocate(Geometry.PageSize);
    public static readonly byte* Huge = Allocate((int)Geometry.PmdSize);

    private static byte* Allocate(int size)
    {
        var page = (byte*)NativeMemory.AlignedAlloc((nuint)size, (nuint)Geometry.PageSize);
        NativeMemory.Clear(page, (nuint)size);
        return page;
    }
}

/// <summary>The model caught a fault mapping at the wrong page-table level (the PMD/PTE collision of 2017).</summary>
public sealed class PageTableCorruptionException(string message) : Exception(message);
