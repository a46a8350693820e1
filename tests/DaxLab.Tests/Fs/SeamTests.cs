using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Sync;
using Xunit;
using static DaxLab.Tests.Fs.FsTestKit;

namespace DaxLab.Tests.Fs;

/// <summary>The file system under a scheduler: its primitives take the model paths and it reports its points and notes.</summary>
public class SeamTests
{
    /// <summary>One CPU, never preempted: records points and notes; any sleep would be a lock leak.</summary>
    private sealed class RecordingScheduler : IScheduler
    {
        public readonly List<string> Points = [];
        public readonly List<string> Notes = [];

        public void Reschedule(string point) => Points.Add(point);

        public void Block(object channel, string point) =>
            throw new InvalidOperationException($"single CPU blocked at {point}: a lock was not released");

        public void Wake(object channel)
        {
        }

        public void Note(string what) => Notes.Add(what);

        public void Access(object resource, bool write)
        {
        }
    }

    [Fact]
    public void IomapUnderASchedulerReportsItsPointsAndWhatItSaw()
    {
        var scheduler = new RecordingScheduler();
        var seam = new Seam(scheduler);
        using var device = PmemDevice.CreateAnonymous(8 * Mib);
        var fs = FileSystem.Format(device, seam, logBytes: 4096);
        var f = fs.Create("a");
        fs.IomapBegin(f, 0, 4096, IomapOp.Read | IomapOp.Fault);
        fs.IomapBegin(f, 0, 4096, IomapOp.Write | IomapOp.Fault);
        for (int i = 1; i < 100; i++)
            fs.IomapBegin(f, i * 2 * 4096L, 4096, IomapOp.Write);
        fs.Allocate(f, Mib, 4096);
        fs.IomapBegin(f, Mib, 4096, IomapOp.Write);
        Assert.Contains("xfs_file_iomap_begin", scheduler.Points);
        Assert.Contains("xfs_bmapi_write", scheduler.Points);
        Assert.Contains("xfs_alloc_vextent", scheduler.Points);
        Assert.Contains("xfs_log_checkpoint", scheduler.Points);
        Assert.Contains(scheduler.Notes, n => n.StartsWith("ino 1: sees hole"));
        Assert.Contains(scheduler.Notes, n => n.StartsWith("ino 1: allocates blocks [0, 1)"));
        Assert.Contains(scheduler.Notes, n => n.StartsWith("ino 1: converts unwritten"));
        Assert.Contains(scheduler.Notes, n => n.StartsWith("writes checkpoint generation"));
        Assert.Empty(fs.Check());
        var again = FileSystem.Mount(device, seam);
        Assert.Empty(again.Check());
        again.Dispose();
    }
}
