using DaxLab.Base;
using DaxLab.Fs;
using DaxLab.Mm;
using DaxLab.Sync;

namespace DaxLab.Index;

/// <summary>
/// struct address_space of a DAX file: the mapping-entry index and the reverse map of the user
/// mappings of the file.
/// </summary>
/// <remarks>
/// Locks declared here:
/// <list type="bullet">
/// <item><see cref="XaLock"/> (the i_pages / tree lock, a spin lock) guards <see cref="Entries"/>,
/// every entry's LOCKED bit and tags. Nothing sleeps under it; it is taken last, before only the
/// wait-queue bucket gates.</item>
/// <item><see cref="IMmapRwsem"/> (i_mmap_rwsem) guards <see cref="Mappings"/>: read to walk it
/// (unmap, write-protect), write to add or remove a mapping. Order: entry lock → i_mmap_rwsem →
/// page-table lock.</item>
/// </list>
/// </remarks>
public sealed class AddressSpace(Seam seam, Inode host)
{
    /// <summary>The index's xa_lock (<see cref="MappingIndex.XaLock"/>).</summary>
    public Spinlock XaLock => Entries.XaLock;

    public MappingIndex Entries { get; } = new(seam);

    public RwSemaphore IMmapRwsem { get; } = seam.NewRwSemaphore("i_mmap_rwsem");

    /// <summary>The user mappings of this file (the i_mmap interval tree, here a list).</summary>
    /// <remarks>
    /// The index's one reference up to Mm, a back-reference the kernel has too: address_space's
    /// i_mmap holds the vm_area_structs that map the file, and each reaches its address_space
    /// through vm_file->f_mapping (<see cref="VmArea.Mapping"/>). The layering test
    /// (tests/DaxLab.Tests/Architecture) allows Index and Mm this pair of edges and no other
    /// layer an edge upwards.
    /// </remarks>
    public List<VmArea> Mappings { get; } = [];

    /// <summary>The inode this address space belongs to (for wait keys and messages).</summary>
    public Inode Host { get; } = host;

    /// <summary>
    /// The walk every range operation makes: the entry at or after <paramref name="next"/> up to
    /// page <paramref name="last"/>, found under xa_lock, which is dropped again before returning
    /// so the caller may sleep on the entry; <paramref name="next"/> moves past it.
    /// Context: xa_lock not held.
    /// </summary>
    public bool NextEntry(ref long next, long last, out long index, out DaxEntry entry)
    {
        index = -1;
        entry = DaxEntry.None;
        if (next > last)
            return false;
        using (XaLock.Hold())
        {
            if (!Entries.FindNext(next, last, out index, out entry))
                return false;
        }
        next = index + entry.PageCount;
        return true;
    }

    /// <summary>Every entry as it stands, in index order, read under one hold of xa_lock (for the oracle and tests).</summary>
    public List<(long Index, DaxEntry Entry)> AllEntries()
    {
        var list = new List<(long, DaxEntry)>();
        using var xa = XaLock.Hold();
        long next = 0;
        while (Entries.FindNext(next, Geometry.LastPageIndex, out long index, out var entry))
        {
            list.Add((index, entry));
            next = index + entry.PageCount;
        }
        return list;
    }

    /// <summary>By inode number: deterministic across runs, unlike an object's identity hash.</summary>
    public override int GetHashCode() => Host.Ino.GetHashCode();

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);
}
