using DaxLab.Device;
using Xunit;

namespace DaxLab.Tests.Device;

/// <summary>
/// write(2)'s memcpy_flushcache: every length and alignment copies exactly its bytes (the
/// streamed body, the plain head and tail), touches nothing around them, and an overlapping
/// copy is a memmove.
/// </summary>
public sealed unsafe class FlushCacheTests
{
    [Theory]
    [InlineData(0, 0, 4096)]
    [InlineData(1, 0, 4096)]
    [InlineData(0, 7, 4096)]
    [InlineData(31, 5, 4095)]
    [InlineData(3, 3, 300)]
    [InlineData(0, 0, 255)]
    [InlineData(17, 1, 1 << 20)]
    [InlineData(32, 0, 160)]
    public void CopiesExactlyTheBytes(int destinationOffset, int sourceOffset, int length)
    {
        var source = new byte[length + sourceOffset];
        new Random(length).NextBytes(source);
        var destination = new byte[length + destinationOffset + 64];
        Array.Fill(destination, (byte)0xEE);
        fixed (byte* d = destination)
        fixed (byte* s = source)
            FlushCache.Copy(d + destinationOffset, s + sourceOffset, (nuint)length);
        Assert.Equal(source.AsSpan(sourceOffset).ToArray(), destination.AsSpan(destinationOffset, length).ToArray());
        Assert.All(destination.AsSpan(0, destinationOffset).ToArray(), b => Assert.Equal(0xEE, b));
        Assert.All(destination.AsSpan(destinationOffset + length).ToArray(), b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void OverlappingRangesCopyAsMemmove()
    {
        var buffer = Enumerable.Range(0, 4096 + 64).Select(i => (byte)i).ToArray();
        var expected = buffer.ToArray();
        expected.AsSpan(0, 4096).CopyTo(expected.AsSpan(64));
        fixed (byte* b = buffer)
            FlushCache.Copy(b + 64, b, 4096);
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void DeviceCopyLandsInTheDeviceWithAndWithoutThePowerFailModel()
    {
        foreach (bool model in new[] { false, true })
        {
            using var device = PmemDevice.CreateAnonymous(2L << 20);
            if (model)
                device.EnablePowerFailModel();
            var data = new byte[4096];
            new Random(1).NextBytes(data);
            device.MemcpyFlushcache(device.Span(8192, 4096), data);
            Assert.Equal(data, device.Span(8192, 4096).ToArray());
            if (model)
                Assert.NotEmpty(device.PowerFail!.UncertainLines());
        }
    }
}
