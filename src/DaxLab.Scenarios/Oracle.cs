using DaxLab.Base;
using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Scenarios;

/// <summary>
/// The end-of-run oracle: invariants of a file and its mappings that every design must keep
/// once no operation runs. Each check returns what it found wrong, in words.
/// </summary>
/// <remarks>
/// It reads page tables and the index directly, without faulting, so a stale translation is
/// seen as it is rather than repaired by the act of looking.
/// </remarks>
internal static unsafe class Oracle
{
    /// <summary>Every violation found on <paramref name="file"/> and its live <paramref name="mappings"/>.</summary>
    public static List<string> Check(DaxFileSystem fs, DaxFile file, IEnumerable<DaxMapping> mappings)
    {
        var problems = new List<string>();
        var live = mappings.Where(m => !m.Vma.Unmapped).ToList();
        var content = FileContent(file, live);
        try
        {
            var entries = file.Inode.Mapping.AllEntries();
            problems.AddRange(LockedEntries(entries));
            problems.AddRange(ZeroEntriesOverBlocks(fs, file, entries));
            problems.AddRange(EntriesPastEof(entries, file.Length));
            foreach (var map in live)
            {
                problems.AddRange(StaleTranslations(fs, file, map, content));
                problems.AddRange(CleanWritablePages(map));
                problems.AddRange(PagesPastEof(map, file.Length));
                problems.AddRange(WritableZeroPages(map));
                problems.AddRange(TranslationsOutsideMapping(map));
                problems.AddRange(map.Vma.LeakedPageTables.Select(leak => $"mapping at file offset {map.FileOffset}: {leak}"));
            }
            problems.AddRange(fs.Check().Select(p => "fsck: " + p));
            problems.AddRange(fs.FreedWhilePinned);
        }
        finally
        {
            content.Return();
        }
        return problems;
    }

    /// <summary>
    /// read(2)'s view of the part of the file that the live mappings cover (the only bytes the
    /// checks compare), in a pooled buffer: the checker runs this once per schedule, and a
    /// fresh array of the whole file per run cost more than the run.
    /// </summary>
    private static Content FileContent(DaxFile file, List<DaxMapping> live)
    {
        long length = file.Length;
        long start = live.Count == 0 ? 0 : Math.Min(length, live.Min(m => m.FileOffset));
        long end = live.Count == 0 ? 0 : Math.Min(length, live.Max(m => m.FileOffset + m.Length));
        if (end <= start)
            return new Content(length, start, [], 0);
        int count = checked((int)(end - start));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(count);
        int got = file.Read(start, buffer.AsSpan(0, count));
        buffer.AsSpan(got, count - got).Clear();
        return new Content(length, start, buffer, count);
    }

    /// <summary>The file's bytes [Start, Start + Count) of a file of FileLength bytes.</summary>
    private readonly record struct Content(long FileLength, long Start, byte[] Buffer, int Count)
    {
        public ReadOnlySpan<byte> Slice(long pos, int length) => Buffer.AsSpan(checked((int)(pos - Start)), length);

        public void Return()
        {
            if (Buffer.Length > 0)
                System.Buffers.ArrayPool<byte>.Shared.Return(Buffer);
        }
    }

    private static IEnumerable<string> LockedEntries(List<(long Index, DaxEntry Entry)> entries) =>
        entries.Where(e => e.Entry.IsLocked).Select(e => $"entry at page {e.Index} left locked ({e.Entry})");

    /// <summary>
    /// An entry wholly past i_size: truncate deletes them (truncate_inode_pages_range) while it
    /// holds faults off, and a fault past EOF inserts none, so one left means a fault that looked
    /// at i_size before the truncate and inserted after it, whose next lookup maps freed blocks.
    /// </summary>
    private static IEnumerable<string> EntriesPastEof(List<(long Index, DaxEntry Entry)> entries, long size)
    {
        long eofPage = Geometry.PageAlignUp(size) >> Geometry.PageShift;
        return entries.Where(e => e.Index >= eofPage).Select(e => $"entry at page {e.Index} is wholly past EOF (i_size {size}): {e.Entry}");
    }

    /// <summary>A ZERO entry or a hole page over blocks: the next fault would map zeros over data.</summary>
    private static IEnumerable<string> ZeroEntriesOverBlocks(DaxFileSystem fs, DaxFile file, List<(long Index, DaxEntry Entry)> entries)
    {
        foreach (var (index, entry) in entries.Where(e => e.Entry.IsZero || e.Entry.IsHolePage))
        {
            long pos = index << Geometry.PageShift;
            var iomap = ReadIomap(fs, file, pos, entry.PageCount << Geometry.PageShift);
            if (iomap.Type == IomapType.Mapped || iomap.End < pos + (entry.PageCount << Geometry.PageShift))
                yield return $"{(entry.IsZero ? "zero-page entry" : "hole page")} at page {index} covers allocated blocks";
        }
    }

    /// <summary>
    /// Every present translation must show what read(2) returns and point where the extent map
    /// says: device pages at the file's block, the zero page only over a hole. Private copies
    /// are the mapping's own and exempt.
    /// </summary>
    private static IEnumerable<string> StaleTranslations(DaxFileSystem fs, DaxFile file, DaxMapping map, Content content)
    {
        var vma = map.Vma;
        foreach (var (address, pte) in vma.PresentEntries())
        {
            if (pte.Kind == PageKind.Anon)
                continue;
            long pages = pte.IsHuge ? Geometry.PagesPerPmd : 1;
            // One extent lookup serves every page of a huge translation that it covers, instead
            // of 512 lookups (the end check runs after the CPUs, so nothing changes the extents).
            Iomap iomap = default;
            for (long p = 0; p < pages; p++)
            {
                long pageAddress = address + (p << Geometry.PageShift);
                if (pageAddress < vma.Start || pageAddress >= vma.End)
                    continue;
                long pos = vma.PgoffOf(pageAddress) << Geometry.PageShift;
                if (pos >= content.FileLength)
                    continue;
                if (pos < iomap.Offset || pos >= iomap.End)
                    iomap = ReadIomap(fs, file, pos, (pages - p) << Geometry.PageShift);
                string? problem = CheckPage(vma, pte, pageAddress, pos, iomap, content);
                if (problem is not null)
                {
                    yield return $"mapping at file offset {map.FileOffset}: {problem}";
                    break;
                }
            }
        }
    }

    /// <summary>The extent at file offset <paramref name="pos"/>, as ->iomap_begin maps up to <paramref name="length"/> bytes for a read.</summary>
    private static Iomap ReadIomap(DaxFileSystem fs, DaxFile file, long pos, long length)
    {
        var iomap = fs.Core.Fs.IomapBegin(file.Inode.Inode, pos, length, IomapOp.Read);
        fs.Core.Fs.IomapEnd(file.Inode.Inode, pos, 0, 0, IomapOp.Read, iomap);
        return iomap;
    }

    /// <summary>One page of a translation against <paramref name="iomap"/>, the extent at <paramref name="pos"/>.</summary>
    private static string? CheckPage(VmArea vma, Pte pte, long pageAddress, long pos, Iomap iomap, Content content)
    {
        if (pte.Kind is PageKind.ZeroPage or PageKind.HolePage && iomap.Type == IomapType.Mapped)
            return $"page at {pos} maps {(pte.Kind == PageKind.ZeroPage ? "the zero page" : "a hole page")} over allocated blocks";
        if (pte.Kind == PageKind.Device)
        {
            long frame = pte.IsHuge ? pte.Frame + ((pageAddress & Geometry.PmdMask) >> Geometry.PageShift) : pte.Frame;
            if (iomap.Type != IomapType.Mapped || iomap.AddrOf(pos) >> Geometry.PageShift != frame)
                return $"page at {pos} maps device page {frame}, the extent map says {(iomap.Type == IomapType.Mapped ? (iomap.AddrOf(pos) >> Geometry.PageShift).ToString() : iomap.Type.ToString())}";
        }
        int length = (int)Math.Min(Geometry.PageSize, content.FileLength - pos);
        var visible = new ReadOnlySpan<byte>(vma.PageAddress(pte, pageAddress), length);
        return visible.SequenceEqual(content.Slice(pos, length))
            ? null
            : $"page at {pos} shows other bytes than read(2) (stale mapping)";
    }

    /// <summary>
    /// A translation of a page wholly past EOF: faults there raise SIGBUS and truncate unmaps
    /// (private copies too), so none may outlive the operations that ran.
    /// </summary>
    private static IEnumerable<string> PagesPastEof(DaxMapping map, long size)
    {
        if (map.Vma.FirstTranslationFrom(Geometry.PageAlignUp(size) >> Geometry.PageShift) is not var (address, pte))
            yield break;
        yield return $"mapping at file offset {map.FileOffset}: {(pte.IsHuge ? "a huge page" : "a page")} at file offset {map.Vma.PgoffOf(address) << Geometry.PageShift} is mapped past EOF (i_size {size})";
    }

    /// <summary>
    /// The zero page or a hole page mapped writable: both are shared by every hole of every file
    /// (or stand for a hole in the index), so a store through one would show in other holes and be
    /// lost to the file; a write fault replaces them with the block it allocates.
    /// </summary>
    private static IEnumerable<string> WritableZeroPages(DaxMapping map) =>
        map.Vma.PresentEntries()
            .Where(e => e.Entry.IsWritable && e.Entry.Kind is PageKind.ZeroPage or PageKind.HolePage)
            .Select(e => $"mapping at file offset {map.FileOffset}: {(e.Entry.Kind == PageKind.ZeroPage ? "the zero page" : "a hole page")} is mapped writable at file offset {map.Vma.PgoffOf(e.Address) << Geometry.PageShift}");

    /// <summary>
    /// A translation of an address outside the mapping: a page table covers whole 2 MiB slots, but
    /// only [vm_start, vm_end) is the mapping's, and a huge page is mapped only where the mapping
    /// covers all of it (transhuge_vma_suitable), so nothing outside can reach the file's blocks.
    /// </summary>
    private static IEnumerable<string> TranslationsOutsideMapping(DaxMapping map)
    {
        var vma = map.Vma;
        foreach (var (address, pte) in vma.PresentEntries())
        {
            long end = address + (pte.IsHuge ? Geometry.PmdSize : Geometry.PageSize);
            if (address < vma.Start || end > vma.End)
                yield return $"mapping at file offset {map.FileOffset}: {(pte.IsHuge ? "a huge page" : "a page")} at address 0x{address:x} lies outside the mapping [0x{vma.Start:x}, 0x{vma.End:x})";
        }
    }

    /// <summary>A shared page mapped writable whose entry is clean: stores to it would escape the next fsync.</summary>
    private static IEnumerable<string> CleanWritablePages(DaxMapping map)
    {
        var vma = map.Vma;
        if (!vma.Shared)
            yield break;
        foreach (var (address, pte) in vma.PresentEntries())
        {
            if (!pte.IsWritable || pte.Kind != PageKind.Device)
                continue;
            long index = vma.PgoffOf(address);
            DaxEntry entry;
            using (vma.Mapping.XaLock.Hold())
                entry = vma.Mapping.Entries.Load(index);
            if (!entry.IsDirty)
                yield return $"page at {index << Geometry.PageShift} is mapped writable but its entry is {(entry.IsNone ? "missing" : "clean")}: a store would escape fsync";
        }
    }
}
