using DaxLab.Fs;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Checker;

/// <summary>
/// The end-of-run oracle: invariants of a file and its mappings that every design must keep
/// once no operation runs. Each check returns what it found wrong, in words.
/// </summary>
/// <remarks>
/// It reads page tables and the index directly, without faulting, so a stale translation is
/// seen as it is rather than repaired by the act of looking.
/// </remarks>
public static unsafe class Oracle
{
    /// <summary>Every violation found on <paramref name="file"/> and its live <paramref name="mappings"/>.</summary>
    public static List<string> Check(DaxFileSystem fs, DaxFile file, IEnumerable<DaxMapping> mappings)
    {
        var problems = new List<string>();
        var content = FileContent(file);
        var entries = EntriesOf(file.Inode.Mapping);
        problems.AddRange(LockedEntries(entries));
        problems.AddRange(ZeroEntriesOverBlocks(fs, file, entries));
        foreach (var map in mappings)
        {
            if (map.Vma.Unmapped)
                continue;
            problems.AddRange(StaleTranslations(fs, file, map, content));
            problems.AddRange(CleanWritablePages(map, entries));
        }
        problems.AddRange(fs.Check().Select(p => "fsck: " + p));
        return problems;
    }

    /// <summary>read(2)'s view of the whole file.</summary>
    private static byte[] FileContent(DaxFile file)
    {
        var content = new byte[file.Length];
        file.Read(0, content);
        return content;
    }

    private static List<(long Index, DaxEntry Entry)> EntriesOf(AddressSpace mapping)
    {
        var list = new List<(long, DaxEntry)>();
        using var xa = mapping.XaLock.Hold();
        long next = 0;
        while (mapping.Entries.FindNext(next, long.MaxValue >> Geometry.PageShift, out long index, out var entry))
        {
            list.Add((index, entry));
            next = index + entry.PageCount;
        }
        return list;
    }

    private static IEnumerable<string> LockedEntries(List<(long Index, DaxEntry Entry)> entries) =>
        entries.Where(e => e.Entry.IsLocked).Select(e => $"entry at page {e.Index} left locked ({e.Entry})");

    /// <summary>A ZERO entry over blocks: the next fault would map the zero page over data.</summary>
    private static IEnumerable<string> ZeroEntriesOverBlocks(DaxFileSystem fs, DaxFile file, List<(long Index, DaxEntry Entry)> entries)
    {
        foreach (var (index, entry) in entries.Where(e => e.Entry.IsZero))
        {
            long pos = index << Geometry.PageShift;
            var iomap = fs.Core.Fs.IomapBegin(file.Inode.Inode, pos, entry.PageCount << Geometry.PageShift, IomapOp.Read);
            fs.Core.Fs.IomapEnd(file.Inode.Inode, pos, 0, 0, IomapOp.Read, iomap);
            if (iomap.Type == IomapType.Mapped || iomap.End < pos + (entry.PageCount << Geometry.PageShift))
                yield return $"zero-page entry at page {index} covers allocated blocks";
        }
    }

    /// <summary>
    /// Every present translation must show what read(2) returns and point where the extent map
    /// says: device pages at the file's block, the zero page only over a hole. Private copies
    /// are the mapping's own and exempt.
    /// </summary>
    private static IEnumerable<string> StaleTranslations(DaxFileSystem fs, DaxFile file, DaxMapping map, byte[] content)
    {
        var vma = map.Vma;
        foreach (var (address, pte) in vma.PresentEntries())
        {
            if (pte.Kind == PageKind.Anon)
                continue;
            long pages = pte.IsHuge ? Geometry.PagesPerPmd : 1;
            for (long p = 0; p < pages; p++)
            {
                long pageAddress = address + (p << Geometry.PageShift);
                if (pageAddress < vma.Start || pageAddress >= vma.End)
                    continue;
                long pos = vma.PgoffOf(pageAddress) << Geometry.PageShift;
                if (pos >= content.Length)
                    continue;
                string? problem = CheckPage(fs, file, vma, pte, pageAddress, pos, content);
                if (problem is not null)
                {
                    yield return $"mapping at file offset {map.FileOffset}: {problem}";
                    break;
                }
            }
        }
    }

    private static string? CheckPage(DaxFileSystem fs, DaxFile file, VmArea vma, Pte pte, long pageAddress, long pos, byte[] content)
    {
        var iomap = fs.Core.Fs.IomapBegin(file.Inode.Inode, pos, Geometry.PageSize, IomapOp.Read);
        fs.Core.Fs.IomapEnd(file.Inode.Inode, pos, 0, 0, IomapOp.Read, iomap);
        if (pte.Kind == PageKind.ZeroPage && iomap.Type == IomapType.Mapped)
            return $"page at {pos} maps the zero page over allocated blocks";
        if (pte.Kind == PageKind.Device)
        {
            long frame = pte.IsHuge ? pte.Frame + ((pageAddress & Geometry.PmdMask) >> Geometry.PageShift) : pte.Frame;
            if (iomap.Type != IomapType.Mapped || iomap.AddrOf(pos) >> Geometry.PageShift != frame)
                return $"page at {pos} maps device page {frame}, the extent map says {(iomap.Type == IomapType.Mapped ? (iomap.AddrOf(pos) >> Geometry.PageShift).ToString() : iomap.Type.ToString())}";
        }
        int length = (int)Math.Min(Geometry.PageSize, content.Length - pos);
        var visible = new ReadOnlySpan<byte>(vma.PageAddress(pte, pageAddress), length);
        return visible.SequenceEqual(content.AsSpan((int)pos, length))
            ? null
            : $"page at {pos} shows other bytes than read(2) (stale mapping)";
    }

    /// <summary>A shared page mapped writable whose entry is clean: stores to it would escape the next fsync.</summary>
    private static IEnumerable<string> CleanWritablePages(DaxMapping map, List<(long Index, DaxEntry Entry)> entries)
    {
        var vma = map.Vma;
        if (!vma.Shared)
            yield break;
        foreach (var (address, pte) in vma.PresentEntries())
        {
            if (!pte.IsWritable || pte.Kind != PageKind.Device)
                continue;
            long index = vma.PgoffOf(address);
            var entry = EntryCovering(entries, index);
            if (!entry.IsDirty)
                yield return $"page at {index << Geometry.PageShift} is mapped writable but its entry is {(entry.IsNone ? "missing" : "clean")}: a store would escape fsync";
        }
    }

    private static DaxEntry EntryCovering(List<(long Index, DaxEntry Entry)> entries, long index)
    {
        foreach (var (at, entry) in entries)
        {
            if (index >= at && index < at + entry.PageCount)
                return entry;
        }
        return DaxEntry.None;
    }
}
