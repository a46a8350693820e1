using DaxLab.Base;
using DaxLab.Dax;
using DaxLab.Fs;
using DaxLab.Mm;
using DaxLab.Sync;
using DaxLab.Vfs;

namespace DaxLab.Designs;

/// <summary>
/// Ross Zwisler's idea: reader/writer locks per mapping entry. I/O and faults that do not change
/// the block mapping take them for reading and run together; those that allocate take them for
/// writing. The locks live outside the index (Jan Kara: "not enough bits in the entry"), one
/// per 2 MiB so that PTE and PMD entries of the same range share one; faults keep v4.10's order.
/// </summary>
public sealed class RwEntryLocks : Design
{
    public override string Name => "rw-entry-locks";

    public override string Summary => "per-entry reader/writer locks: readers share, allocating writes and write faults exclude";

    public override string Source => "Ross Zwisler, linux-mm, 2017-04-26 (\"convert the radix tree locks to essentially be reader/writer locks\")";

    public override DaxPolicy Dax { get; } = DaxPolicy.V412 with { FaultOrder = FaultOrder.IomapFirst };

    public override InodeLocks NewInodeLocks(DaxInode inode) => new EntryRwLocked(inode);

    private sealed class EntryRwLocked(DaxInode inode) : InodeLocks(inode)
    {
        private readonly LockTable table = new(inode.Core.Seam);

        public override Held LockFault(in FaultContext vmf, PageEntrySize size)
        {
            var mmapSem = Held.Read(Inode.MmapSem);
            bool write = vmf.Write;
            return Held.Both(mmapSem, table.Lock(vmf.Pos, 1, _ => write));
        }

        public override Held LockRead(long pos, long length) => Held.Both(default, table.Lock(pos, length, _ => false));

        /// <summary>
        /// write(2) takes write only where it will allocate. i_rwsem (held exclusive) keeps other
        /// writes from changing the answer; faults may only fill holes meanwhile, which the write
        /// lock then excludes.
        /// </summary>
        public override Held LockWrite(long pos, long length) =>
            Held.Both(default, table.Lock(pos, length, region => HasHoles(region, pos, length)));

        private bool HasHoles(long region, long pos, long length)
        {
            long start = Math.Max(pos, region << Geometry.PmdShift);
            long end = Math.Min(pos + length, (region + 1) << Geometry.PmdShift);
            var fs = Inode.Core.Fs;
            while (start < end)
            {
                var iomap = fs.IomapBegin(Inode.Inode, start, end - start, IomapOp.Read);
                fs.IomapEnd(Inode.Inode, start, end - start, 0, IomapOp.Read, iomap);
                if (iomap.Type != IomapType.Mapped)
                    return true;
                start = iomap.End;
            }
            return false;
        }
    }

    /// <summary>The per-inode table of entry locks, one rw semaphore per 2 MiB region, made on first use.</summary>
    private sealed class LockTable(Seam seam)
    {
        private readonly Dictionary<long, RwSemaphore> locks = [];
        /// <summary>Guards <see cref="locks"/> while a semaphore is found or made; a leaf, never held across a sleep.</summary>
        private readonly Lock tableLock = new();

        /// <summary>
        /// Locks every region of [pos, pos + length) in ascending order (the lock order); write
        /// where <paramref name="write"/> says. The n-th region is taken as lockdep subclass n
        /// (down_write_nested): nesting locks of one class is safe here because every path takes
        /// them in ascending order, which is what the subclasses tell lockdep.
        /// </summary>
        public IDisposable Lock(long pos, long length, Func<long, bool> write)
        {
            var held = new Releaser();
            long first = pos >> Geometry.PmdShift;
            long last = (pos + Math.Max(length, 1) - 1) >> Geometry.PmdShift;
            for (long region = first; region <= last; region++)
            {
                int nesting = (int)(region - first);
                held.Add(write(region) ? Held.Write(SemaphoreOf(region), nesting) : Held.Read(SemaphoreOf(region), nesting));
            }
            return held;
        }

        private RwSemaphore SemaphoreOf(long region)
        {
            lock (tableLock)
            {
                if (!locks.TryGetValue(region, out var semaphore))
                    locks.Add(region, semaphore = seam.NewRwSemaphore("dax_entry_rwsem"));
                return semaphore;
            }
        }
    }

    private sealed class Releaser : IDisposable
    {
        private readonly List<Held> held = [];

        public void Add(Held h) => held.Add(h);

        public void Dispose()
        {
            for (int i = held.Count - 1; i >= 0; i--)
                held[i].Dispose();
        }
    }
}
