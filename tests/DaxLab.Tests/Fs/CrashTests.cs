using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

/// <summary>
/// A process killed at any instruction leaves every store it made (the host page cache keeps
/// a MAP_SHARED mapping), so a crash image is "all bytes the run wrote up to the kill point".
/// These tests build such images for every byte of each log append and for a checkpoint write,
/// and require mount to give exactly the state of the records that were complete.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const long DeviceSize = 8 * Mib;
    private readonly PmemDevice scratch = PmemDevice.CreateAnonymous(DeviceSize);

    public void Dispose() => scratch.Dispose();

    /// <summary>
    /// Mounts <paramref name="image"/> patched by <paramref name="patch"/> on the scratch device
    /// and describes it; fsck must be clean. Only the metadata area is copied: mount reads
    /// nothing else, and copying 8 MiB per image would dominate the run time.
    /// </summary>
    private unsafe string MountImage(byte[] image, long metadataBytes, SpanAction? patch = null)
    {
        var bytes = new Span<byte>(scratch.Base, (int)metadataBytes);
        image.AsSpan(0, (int)metadataBytes).CopyTo(bytes);
        patch?.Invoke(bytes);
        var fs = FileSystem.Mount(scratch, Seam.RealThreads);
        Assert.Empty(fs.Check());
        string state = Describe(fs);
        fs.Dispose();
        return state;
    }

    private delegate void SpanAction(Span<byte> image);

    /// <summary>Copies bytes [from, to) of <paramref name="source"/> into <paramref name="image"/>.</summary>
    private static void Take(Span<byte> image, byte[] source, long from, long to)
    {
        if (to > from)
            source.AsSpan((int)from, (int)(to - from)).CopyTo(image[(int)from..]);
    }

    /// <summary>Each operation must log exactly one record, so its states are "before" and "after".</summary>
    private static readonly Action<FileSystem>[] Operations =
    [
        fs => fs.Create("crash-test-file-with-a-long-name-" + new string('n', 100)),
        fs => fs.ExtendSize(fs.Lookup("a")!, 5 * Mib),
        fs => Write(fs, fs.Lookup("a")!, 2 * Mib, 2 * Mib),
        fs => Write(fs, fs.Lookup("a")!, 4096, 4096),
        fs => fs.Allocate(fs.Lookup("a")!, Mib, 4096 * 3),
        fs => Write(fs, fs.Lookup("a")!, Mib + 4096, 4096),
        fs => fs.ZeroRange(fs.Lookup("a")!, 2 * Mib, 8 * 4096),
        fs => fs.PunchRange(fs.Lookup("a")!, 2 * Mib + 4096, 2 * 4096),
        fs => fs.SetSize(fs.Lookup("a")!, 3 * Mib - 17),
        fs => fs.Unlink(fs.Lookup("b")!),
    ];

    [Fact]
    public void KillAtEveryByteOfEveryRecordGivesTheOldOrTheNewState()
    {
        var fs = FileSystem.Format(PmemDevice.CreateAnonymous(DeviceSize), Seam.RealThreads);
        Write(fs, fs.Create("a"), 0, 4096);
        Write(fs, fs.Create("b"), 0, 3 * 4096);
        long epoch = fs.Generation;
        foreach (var operation in Operations)
        {
            byte[] before = Snapshot(fs.Device);
            string oldState = Describe(fs);
            long start = fs.Layout.LogOffset + fs.LogTail;
            operation(fs);
            Assert.Equal(epoch, fs.Generation);
            long end = fs.Layout.LogOffset + fs.LogTail;
            Assert.True(end > start, "the operation logged a record");
            byte[] after = Snapshot(fs.Device);
            string newState = Describe(fs);
            long meta = fs.Layout.FirstDataBlock * Block;
            bool Complete(Span<byte> image) => image[(int)start..(int)end].SequenceEqual(after.AsSpan((int)start, (int)(end - start)));
            for (long k = start; k <= end; k++)
            {
                // Written front to back, killed after byte k (bytes that happen to equal the old
                // ones make a "torn" record complete: then the new state is right) ...
                bool complete = false;
                string state = MountImage(after, meta, image => { Take(image, before, k, end); complete = Complete(image); });
                Assert.Equal(complete ? newState : oldState, state);
                // ... or back to front (a copy loop is free to order its stores).
                state = MountImage(after, meta, image => { Take(image, before, start, k); complete = Complete(image); });
                Assert.Equal(complete ? newState : oldState, state);
            }
        }
        fs.Destroy();
    }

    [Fact]
    public void KillDuringAMultiRecordFallocateGivesAPrefixOfItsRecords()
    {
        var fs = FileSystem.Format(PmemDevice.CreateAnonymous(DeviceSize), Seam.RealThreads);
        var a = fs.Create("a");
        Write(fs, a, 4096, 4096);
        Write(fs, a, 3 * 4096, 4096);
        byte[] before = Snapshot(fs.Device);
        string oldState = Describe(fs);
        long start = fs.Layout.LogOffset + fs.LogTail;
        fs.Allocate(a, 0, 5 * 4096);   // three holes: three Map records
        long end = fs.Layout.LogOffset + fs.LogTail;
        byte[] after = Snapshot(fs.Device);
        string newState = Describe(fs);
        long meta = fs.Layout.FirstDataBlock * Block;
        var seen = new List<string> { oldState };
        for (long k = start; k <= end; k++)
        {
            string state = MountImage(after, meta, image => Take(image, before, k, end));
            // States only move forward, one record at a time.
            if (state != seen[^1])
                seen.Add(state);
        }
        Assert.Equal(4, seen.Count);
        Assert.Equal(newState, seen[^1]);
        fs.Destroy();
    }

    [Fact]
    public void KillDuringACheckpointGivesTheStateBeforeIt()
    {
        var fs = FileSystem.Format(PmemDevice.CreateAnonymous(DeviceSize), Seam.RealThreads, logBytes: 4096);
        var a = fs.Create("a");
        long generation = fs.Generation;
        byte[] before;
        string oldState;
        long pos = 0;
        // Write until a record forces a checkpoint; keep the image from just before that write.
        do
        {
            before = Snapshot(fs.Device);
            oldState = Describe(fs);
            Write(fs, a, pos++ * 2 * 4096, 4096);
        }
        while (fs.Generation == generation);
        Assert.Equal(generation + 1, fs.Generation);
        byte[] after = Snapshot(fs.Device);
        string newState = Describe(fs);
        long meta = fs.Layout.FirstDataBlock * Block;
        long slot = fs.Layout.SlotOffset(fs.Generation % 2);
        long bodyEnd = slot + 48 + BitConverter.ToInt64(after, (int)slot + 16);
        long logStart = fs.Layout.LogOffset;
        long logEnd = logStart + fs.LogTail;
        // The checkpoint writer zeroes the header (48 bytes), writes the body, then the header.
        for (long k = slot + 48; k <= bodyEnd; k += 3)
            Assert.Equal(oldState,  MountImage(before, meta, image => { image.Slice((int)slot, 48).Clear(); Take(image, after, slot + 48, k); }));
        for (long k = slot; k < slot + 48; k++)
            Assert.Equal(oldState, MountImage(before, meta, image => { Take(image, after, slot + 48, bodyEnd); Take(image, after, slot, k); }));
        // Checkpoint complete: the new epoch's first record, torn at every byte.
        for (long k = logStart; k <= logEnd; k++)
        {
            bool complete = false;
            string state = MountImage(after, meta, image =>
            {
                Take(image, before, k, logEnd);
                complete = image[(int)logStart..(int)logEnd].SequenceEqual(after.AsSpan((int)logStart, (int)(logEnd - logStart)));
            });
            Assert.Equal(complete ? newState : oldState, state);
        }
        fs.Destroy();
    }

    [Fact]
    public void KillDuringMountTimeCheckpointMountsTheSameState()
    {
        var fs = FileSystem.Format(PmemDevice.CreateAnonymous(DeviceSize), Seam.RealThreads);
        Write(fs, fs.Create("a"), 0, 5 * 4096);
        fs.SetSize(fs.Lookup("a")!, 7);
        string state = Describe(fs);
        byte[] before = Snapshot(fs.Device);
        var mounted = MountCopy(before);
        byte[] after = Snapshot(mounted.Device);
        long meta = fs.Layout.FirstDataBlock * Block;
        long slot = mounted.Layout.SlotOffset(mounted.Generation % 2);
        long bodyEnd = slot + 48 + BitConverter.ToInt64(after, (int)slot + 16);
        for (long k = slot + 48; k <= bodyEnd; k++)
            Assert.Equal(state, MountImage(before, meta, image => { image.Slice((int)slot, 48).Clear(); Take(image, after, slot + 48, k); }));
        for (long k = slot; k <= slot + 48; k++)
            Assert.Equal(state, MountImage(before, meta, image => { Take(image, after, slot + 48, bodyEnd); Take(image, after, slot, k); }));
        fs.Destroy();
        mounted.Destroy();
    }
}
