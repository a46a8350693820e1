using DaxLab.Device;
using DaxLab.Fs;
using DaxLab.Mm;
using DaxLab.Sync;
using Xunit;

namespace DaxLab.Tests.Fs;

/// <summary>
/// The power-fail model's rules (issue #11): an unflushed store may be lost, a flushed and
/// fenced one is kept, a fence orders the lines flushed before it ahead of any later store; and
/// the file system's persistence points under it (fsync leaves nothing uncertain, MAP_SYNC).
/// </summary>
public sealed class PowerFailTests
{
    private const long DeviceSize = 8L << 20;
    private const int Line = PowerFailModel.LineBytes;

    private static void Store(PmemDevice device, long at, byte value) => device.Span(at, 8).Fill(value);

    private static IReadOnlyList<long> Uncertain(PowerFailModel model) => model.UncertainLines().Select(l => l.Offset).ToList();

    /// <summary>The crash that keeps no uncertain line: the durable image, byte <paramref name="at"/> of it.</summary>
    private static byte DurableByte(PowerFailModel model, long at)
    {
        using var image = PmemDevice.CreateAnonymous(DeviceSize);
        model.CopyDurableTo(image);
        return image.Span(at, 1)[0];
    }

    [Fact]
    public void An_unflushed_store_may_be_lost()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        var model = device.EnablePowerFailModel();
        Store(device, 3 * Line + 8, 0xab);
        Assert.Equal([3L * Line], Uncertain(model));
        Assert.Equal(0, DurableByte(model, 3 * Line + 8));
        // A fence without a flush does not write the line back.
        device.Fence();
        Assert.Equal([3L * Line], Uncertain(model));
    }

    [Fact]
    public void A_flushed_store_is_uncertain_until_a_fence_and_kept_after_it()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        var model = device.EnablePowerFailModel();
        Store(device, 5 * Line, 0x11);
        device.Flush(5 * Line, 8);
        Assert.Equal([5L * Line], Uncertain(model));
        device.Fence();
        Assert.Empty(Uncertain(model));
        Assert.Equal(0x11, DurableByte(model, 5 * Line));
    }

    [Fact]
    public void A_fence_orders_earlier_flushed_lines_before_later_stores()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        var model = device.EnablePowerFailModel();
        Store(device, 0, 1);
        device.Flush(0, 8);
        device.Fence();
        Store(device, 64 * Line, 2);
        // Line 64 may persist or not, but no crash state has it without line 0.
        Assert.Equal([64L * Line], Uncertain(model));
        Assert.Equal(1, DurableByte(model, 0));
    }

    [Fact]
    public void Without_fences_a_later_store_may_persist_before_an_earlier_flushed_line()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        var model = device.EnablePowerFailModel(fencesOrder: false);
        Store(device, 0, 1);
        device.Flush(0, 8);
        device.Fence();
        Store(device, 64 * Line, 2);
        device.Flush(64 * Line, 8);
        Assert.Equal([0L, 64L * Line], Uncertain(model));
        // One fence later the first window drains: the lag is one fence, not forever.
        device.Fence();
        Assert.Equal([64L * Line], Uncertain(model));
    }

    [Fact]
    public void A_line_rewritten_after_its_flush_offers_both_values()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        var model = device.EnablePowerFailModel();
        Store(device, 0, 7);
        device.Flush(0, Line);
        Store(device, 0, 9);
        CrashLine line = Assert.Single(model.UncertainLines());
        Assert.Equal([9, 7], line.Versions.Select(v => (int)v[0]));
    }

    [Fact]
    public void Crash_points_come_before_each_flush_and_fence()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        var model = device.EnablePowerFailModel();
        var seen = new List<(CrashPointKind, int)>();
        model.CrashPoint = kind => seen.Add((kind, model.UncertainLines().Count));
        Store(device, 0, 1);
        device.Flush(0, 8);
        device.Fence();
        Assert.Equal([(CrashPointKind.Flush, 1), (CrashPointKind.Fence, 1)], seen);
    }

    [Fact]
    public void Only_an_anonymous_device_takes_the_model_and_a_normal_device_has_none()
    {
        using var device = PmemDevice.CreateAnonymous(DeviceSize);
        Assert.Null(device.PowerFail);
        device.Fence();
        using var big = PmemDevice.CreateAnonymous(PowerFailModel.MaxDeviceBytes * 2);
        Assert.Throws<ArgumentException>(() => big.EnablePowerFailModel());
    }

    [Fact]
    public void Fsync_leaves_no_line_uncertain()
    {
        using var dfs = DaxFileSystem.Format(PmemDevice.CreateAnonymous(DeviceSize), logBytes: null);
        var model = dfs.Fs.Device.EnablePowerFailModel();
        using var file = dfs.OpenFile("f", DaxOpenFlags.Create);
        file.Write(100, new byte[300]);
        file.Write(5000, Enumerable.Repeat((byte)3, 200).ToArray());
        Assert.NotEmpty(model.UncertainLines());
        file.Fsync();
        Assert.Empty(model.UncertainLines());
    }

    /// <summary>
    /// generic/470's promise: a store through a MAP_SYNC mapping, flushed from user space, is in
    /// the image a crash leaves even when it keeps no uncertain line; through a plain shared
    /// mapping the same store's block allocation is still only in the unflushed log.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_flushed_MAP_SYNC_store_survives_the_crash_that_keeps_nothing(bool mapSync)
    {
        using var dfs = DaxFileSystem.Format(PmemDevice.CreateAnonymous(DeviceSize), logBytes: null);
        var model = dfs.Fs.Device.EnablePowerFailModel();
        using (var file = dfs.OpenFile("s", DaxOpenFlags.Create))
        {
            file.Truncate(8192);
            using var map = file.Map(0, 8192, MapProtection.Read | MapProtection.Write, mapSync ? MapSharing.SharedSync : MapSharing.Shared);
            Assert.Equal(mapSync ? MapSharing.SharedSync : MapSharing.Shared, map.Sharing);
            map.Store(4096 + 64, Enumerable.Repeat((byte)0x5a, 64).ToArray());
            map.Persist(4096 + 64, 64);
        }
        using var image = PmemDevice.CreateAnonymous(DeviceSize);
        model.CopyDurableTo(image);
        using var crashed = FileSystem.MountReadOnly(image, Seam.RealThreads);
        Inode? inode = crashed.Lookup("s");
        if (!mapSync)
        {
            Assert.Null(inode);
            return;
        }
        Assert.NotNull(inode);
        byte[] content = DaxLab.Cli.CrashCheck.CrashImage.ReadFile(crashed, inode);
        Assert.Equal(8192, content.Length);
        Assert.All(content.AsSpan(4096 + 64, 64).ToArray(), b => Assert.Equal(0x5a, b));
    }
}
