using DaxLab.Base;
using DaxLab.Index;
using DaxLab.Mm;

namespace DaxLab.Scenarios.Report;

/// <summary>
/// What a scenario's world looks like between two steps, in the terms of the 2017 thread: i_size,
/// the mapping-index entries over the touched pages, each mapping's page-table entries and the
/// file's extent map. Plain data, serialised into the HTML report.
/// </summary>
internal sealed record WorldSnapshot(long Size, IReadOnlyList<IndexRun> Index, IReadOnlyList<MappingState> Mappings, IReadOnlyList<ExtentRun> Extents)
{
    /// <summary>
    /// Reads <paramref name="world"/> as it stands. Context: between steps (no CPU runs), so it
    /// reads without the engine's locks and never calls the seam: a CPU parked inside a critical
    /// section still holds its lock, and waiting for it here could never end.
    /// </summary>
    public static WorldSnapshot Capture(ScenarioWorld world)
    {
        var inode = world.File.Inode;
        long size = inode.Inode.Size;
        var mappings = world.Mappings;
        var entries = Entries(inode.Mapping);
        long endPage = TouchedEndPage(size, mappings, entries);
        var extents = inode.Inode.Extents.All.Select(e => (e.FileBlock, e.Count, e.DevBlock, e.Unwritten)).ToList();
        long endBlock = Math.Max(endPage, extents.Count == 0 ? 0 : extents[^1].FileBlock + extents[^1].Count);
        return new WorldSnapshot(size, IndexRuns(entries, endPage), [.. mappings.Select(Mapping)], ExtentRuns(extents, endBlock));
    }

    /// <summary>Every entry in index order, read with FindNext alone: see <see cref="Capture"/> for why not AllEntries.</summary>
    private static List<(long Index, DaxEntry Entry)> Entries(AddressSpace mapping)
    {
        var list = new List<(long, DaxEntry)>();
        long next = 0;
        while (mapping.Entries.FindNext(next, Geometry.LastPageIndex, out long index, out var entry))
        {
            list.Add((index, entry));
            next = index + entry.PageCount;
        }
        return list;
    }

    /// <summary>The first page past everything worth showing: i_size, the mappings and the entries.</summary>
    private static long TouchedEndPage(long size, IReadOnlyList<DaxMapping> mappings, List<(long Index, DaxEntry Entry)> entries)
    {
        long end = Geometry.PageAlignUp(size) >> Geometry.PageShift;
        foreach (var map in mappings)
            end = Math.Max(end, (map.FileOffset + map.Length) >> Geometry.PageShift);
        foreach (var (index, entry) in entries)
            end = Math.Max(end, index + entry.PageCount);
        return end;
    }

    /// <summary>The index over pages [0, endPage): each entry, and a "none" run over each gap, so a 4 MiB file stays a few rows.</summary>
    private static List<IndexRun> IndexRuns(List<(long Index, DaxEntry Entry)> entries, long endPage)
    {
        var runs = new List<IndexRun>();
        long page = 0;
        foreach (var (index, entry) in entries)
        {
            if (index > page)
                runs.Add(IndexRun.Gap(page, index - page));
            runs.Add(IndexRun.Of(index, entry));
            page = index + entry.PageCount;
        }
        if (endPage > page)
            runs.Add(IndexRun.Gap(page, endPage - page));
        return runs;
    }

    private static MappingState Mapping(DaxMapping map, int number)
    {
        var vma = map.Vma;
        var ptes = new List<PageTableRun>();
        foreach (var (address, pte) in vma.PresentEntries())
        {
            var run = PageTableRun.Of(vma.PgoffOf(address) << Geometry.PageShift, pte);
            if (ptes.Count > 0 && ptes[^1].Continues(run))
                ptes[^1] = ptes[^1] with { Pages = ptes[^1].Pages + 1 };
            else
                ptes.Add(run);
        }
        return new MappingState(number, map.FileOffset, map.Length, vma.Shared, vma.Protection.HasFlag(MapProtection.Write), vma.Unmapped, ptes);
    }

    /// <summary>File blocks [0, endBlock): each extent, and a hole run over each gap.</summary>
    private static List<ExtentRun> ExtentRuns(List<(long FileBlock, long Count, long DevBlock, bool Unwritten)> extents, long endBlock)
    {
        var runs = new List<ExtentRun>();
        long block = 0;
        foreach (var (fileBlock, count, devBlock, unwritten) in extents)
        {
            if (fileBlock > block)
                runs.Add(new ExtentRun(block, fileBlock - block, "hole", null));
            runs.Add(new ExtentRun(fileBlock, count, unwritten ? "unwritten" : "written", devBlock));
            block = fileBlock + count;
        }
        if (endBlock > block)
            runs.Add(new ExtentRun(block, endBlock - block, "hole", null));
        return runs;
    }
}

/// <summary>
/// Index pages [FirstPage, FirstPage + Pages): one entry (Kind EMPTY, ZERO, hole page or
/// MAPPED with its pfn; Huge for a 2 MiB entry) or, Kind "none", no entry at all.
/// </summary>
internal sealed record IndexRun(long FirstPage, long Pages, string Kind, long? Pfn, bool Huge, bool Locked, bool Dirty)
{
    public static IndexRun Gap(long firstPage, long pages) => new(firstPage, pages, "none", null, false, false, false);

    public static IndexRun Of(long index, DaxEntry entry)
    {
        string kind = entry.IsEmpty ? "EMPTY" : entry.IsZero ? "ZERO" : entry.IsHolePage ? "hole page" : "MAPPED";
        return new IndexRun(index, entry.PageCount, kind, entry.IsMapped ? entry.Pfn : null, entry.IsPmd, entry.IsLocked, entry.IsDirty);
    }
}

/// <summary>One mapping (numbered as the scenario's mmap commands made them) and its present page-table entries.</summary>
internal sealed record MappingState(int Number, long FileOffset, long Length, bool Shared, bool Writable, bool Unmapped, IReadOnlyList<PageTableRun> Entries);

/// <summary>
/// Present translations of file bytes from FileOffset, Pages pages of the same kind: a 2 MiB
/// entry (Huge), or 4 KiB entries of device pages from Frame on, the zero page, hole pages or
/// private copies (anon).
/// </summary>
internal sealed record PageTableRun(long FileOffset, long Pages, bool Huge, bool Writable, string Target, long? Frame)
{
    public static PageTableRun Of(long fileOffset, Pte pte)
    {
        string target = pte.Kind switch
        {
            PageKind.Device => "device page",
            PageKind.ZeroPage => pte.IsHuge ? "huge zero page" : "zero page",
            PageKind.HolePage => "hole page",
            _ => "anon copy",
        };
        return new PageTableRun(fileOffset, pte.IsHuge ? Geometry.PagesPerPmd : 1, pte.IsHuge, pte.IsWritable, target,
            pte.Kind == PageKind.Device ? pte.Frame : null);
    }

    /// <summary>Whether <paramref name="next"/>, a 4 KiB entry, extends this run of 4 KiB entries page for page (and frame for frame).</summary>
    public bool Continues(PageTableRun next) =>
        !Huge && !next.Huge && Writable == next.Writable && Target == next.Target && Target != "anon copy"
        && next.FileOffset == FileOffset + (Pages << Geometry.PageShift)
        && (Frame is null || next.Frame == Frame + Pages);
}

/// <summary>File blocks [FirstBlock, FirstBlock + Blocks): a hole, or written or unwritten blocks at DeviceBlock on (a device block is a device page).</summary>
internal sealed record ExtentRun(long FirstBlock, long Blocks, string State, long? DeviceBlock);
