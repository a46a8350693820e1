using DaxLab.Fs;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

/// <summary>Real threads racing on iomap, allocation, punch and the log (which wraps and checkpoints meanwhile).</summary>
public class ConcurrencyTests
{
    private const int Threads = 4;
    private const int OpsPerThread = 3000;

    [Fact]
    public void ThreadsAllocatingInSharedAndPrivateFilesLeaveAConsistentFileSystem()
    {
        var fs = NewFs(64 * Mib, logBytes: 16 * 1024);
        var shared = fs.Create("shared");
        long generation = fs.Generation;
        var start = new Barrier(Threads);
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                // Past the barrier first: a thread that failed before it would leave the others waiting.
                start.SignalAndWait();
                var mine = fs.Create($"private-{t}");
                var random = new Random(t);
                for (int i = 0; i < OpsPerThread; i++)
                    RandomOperation(fs, random.Next(2) == 0 ? shared : mine, random);
            }
            catch (Exception e)
            {
                lock (errors)
                    errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        Assert.True(fs.Generation > generation, "the log wrapped during the run");
        Assert.Empty(fs.Check());
        string state = Describe(fs);
        var again = MountCopy(Snapshot(fs.Device));
        Assert.Equal(state, Describe(again));
        Assert.Empty(again.Check());
        fs.Destroy();
        again.Destroy();
    }

    [Fact]
    public void ConcurrentPmdWritesToOneFileEachGetTheirOwnAlignedRun()
    {
        var fs = NewFs(64 * Mib);
        var f = fs.Create("f");
        var maps = new Iomap[8];
        var start = new Barrier(maps.Length);
        var threads = Enumerable.Range(0, maps.Length).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            maps[i] = fs.IomapBegin(f, i % 4 * 2 * Mib, 2 * Mib, IomapOp.Write | IomapOp.Fault);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (int i = 0; i < maps.Length; i++)
        {
            Assert.Equal((2 * Mib, 0L), (maps[i].Length, maps[i].Addr % (2 * Mib)));
            Assert.Equal(maps[i % 4].Addr, maps[i].Addr);
        }
        Assert.Equal(4, maps.Count(m => m.IsNew));
        Assert.Empty(fs.Check());
        fs.Destroy();
    }

    private static void RandomOperation(FileSystem fs, Inode inode, Random random)
    {
        long pos = random.NextInt64(0, 8 * Mib / Block) * Block;
        switch (random.Next(10))
        {
            case < 5:
                Iomap w = fs.IomapBegin(inode, pos, random.Next(1, 64) * Block, IomapOp.Write);
                Assert.Equal(IomapType.Mapped, w.Type);
                fs.ExtendSize(inode, w.End);
                break;
            case < 7:
                Iomap r = fs.IomapBegin(inode, pos, Mib, IomapOp.Read);
                Assert.True(r.Offset == pos && r.Length > 0);
                break;
            case 7:
                fs.PunchRange(inode, pos, random.Next(1, 128) * Block);
                break;
            case 8:
                fs.Allocate(inode, pos, random.Next(1, 32) * Block);
                break;
            default:
                fs.ZeroRange(inode, pos, random.Next(1, 32) * Block);
                break;
        }
    }
}
