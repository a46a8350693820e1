using DaxLab.Base;
using DaxLab.Mm;
using static DaxLab.Tests.Engine.Inspect;

namespace DaxLab.Tests.Engine;

/// <summary>
/// read(2) and write(2) whose buffer is a mapping (fstests generic/413's t_mmap_dio): the copy
/// faults through the mapping inside the system call; a fault that would raise a signal makes
/// the call short, or EFAULT when nothing was copied. Real threads, the landed design.
/// </summary>
public class UserCopyTests
{
    private const int Page = Geometry.PageSize;
    private const MapProtection ReadWrite = MapProtection.Read | MapProtection.Write;

    [Fact]
    public void Pwrite_from_a_mapping_of_another_file_copies_its_bytes()
    {
        var data = Pattern(3 * Page, 0x11);
        using var files = new SourceAndDestination(data);
        var (source, destination) = (files.Source, files.Destination);
        using var map = source.Map(0, data.Length, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(2 * Page, destination.Write(100, map, Page, 2 * Page));
        Assert.Equal(data.AsSpan(Page).ToArray(), ReadAll(destination, 100, 2 * Page));
        Assert.Equal(100 + 2 * Page, destination.Length);
        Assert.Empty(files.Fs.Check());
    }

    [Fact]
    public void Pread_into_a_mapping_of_another_file_stores_the_bytes_through_it()
    {
        var data = Pattern(2 * Page, 0x22);
        using var files = new SourceAndDestination(data);
        var (source, destination) = (files.Source, files.Destination);
        destination.Truncate(4 * Page);
        using var map = destination.Map(0, 4 * Page, ReadWrite, MapSharing.Shared);
        Assert.Equal(2 * Page, source.Read(0, map, 7, 3 * Page));
        Assert.Equal(data, ReadAll(destination, 7, 2 * Page));
        var seen = new byte[2 * Page];
        map.Load(7, seen);
        Assert.Equal(data, seen);
    }

    [Fact]
    public void Pwrite_from_a_mapping_of_another_range_of_the_same_file_works_on_the_landed_design()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("file", DaxOpenFlags.Create);
        file.Truncate(4 * MiB);
        var data = Pattern(Page, 0x33);
        file.Write(2 * MiB, data);
        using var map = file.Map(0, 4 * MiB, ReadWrite, MapSharing.Shared);
        Assert.Equal(Page, file.Write(Page, map, 2 * MiB, Page));
        Assert.Equal(data, ReadAll(file, Page, Page));
        Assert.Equal(Page, file.Read(2 * MiB, map, 3 * Page, Page));
        Assert.Equal(data, ReadAll(file, 3 * Page, Page));
        Assert.Empty(fs.Check());
    }

    [Fact]
    public void Pwrite_from_a_mapping_of_the_hole_it_fills_writes_zeros()
    {
        using var fs = NewFs();
        using var file = fs.OpenFile("file", DaxOpenFlags.Create);
        file.Truncate(Page);
        using var map = file.Map(0, Page, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(Page, file.Write(0, map, 0, Page));
        Assert.Equal(new byte[Page], ReadAll(file, 0, Page));
        Assert.Equal(Page / 512, file.Stat().Blocks);
    }

    [Fact]
    public void A_buffer_that_runs_past_the_mapped_files_EOF_makes_a_short_write_then_EFAULT()
    {
        var data = Pattern(Page, 0x44);
        using var files = new SourceAndDestination(data);
        var (source, destination) = (files.Source, files.Destination);
        using var map = source.Map(0, 3 * Page, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(Page, destination.Write(0, map, 0, 3 * Page));
        Assert.Equal(Page, destination.Length);
        Assert.Equal(data, ReadAll(destination, 0, Page));
        var error = Assert.Throws<ErrnoException>(() => destination.Write(Page, map, Page, Page));
        Assert.Equal(Errno.EFAULT, error.Errno);
        Assert.Equal(Page, destination.Length);
        Assert.Empty(files.Fs.Check());
    }

    [Fact]
    public void A_buffer_that_runs_past_its_files_EOF_makes_a_short_read_then_EFAULT()
    {
        var data = Pattern(3 * Page, 0x55);
        using var files = new SourceAndDestination(data);
        var (source, destination) = (files.Source, files.Destination);
        destination.Truncate(Page);
        using var map = destination.Map(0, 3 * Page, ReadWrite, MapSharing.Shared);
        Assert.Equal(Page, source.Read(0, map, 0, 3 * Page));
        Assert.Equal(data.AsSpan(0, Page).ToArray(), ReadAll(destination, 0, Page));
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => source.Read(0, map, Page, Page)).Errno);
    }

    [Fact]
    public void A_buffer_the_mapping_does_not_allow_or_no_longer_maps_is_EFAULT()
    {
        using var fs = NewFs();
        using var file = FileWith(fs, "file", Pattern(2 * Page, 0x66));
        using var readOnly = file.Map(0, 2 * Page, MapProtection.Read, MapSharing.Shared);
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => file.Read(0, readOnly, 0, Page)).Errno);
        using var none = file.Map(0, 2 * Page, MapProtection.None, MapSharing.Shared);
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => file.Write(0, none, 0, Page)).Errno);
        var gone = file.Map(0, 2 * Page, MapProtection.Read, MapSharing.Shared);
        gone.Dispose();
        Assert.Equal(Errno.EFAULT, Assert.Throws<ErrnoException>(() => file.Write(0, gone, 0, Page)).Errno);
        Assert.Equal(Pattern(2 * Page, 0x66), ReadAll(file, 0, 2 * Page));
    }

    [Fact]
    public void A_buffer_outside_the_mapping_is_the_callers_mistake()
    {
        using var fs = NewFs();
        using var file = FileWith(fs, "file", Pattern(2 * Page, 0x77));
        using var map = file.Map(0, 2 * Page, ReadWrite, MapSharing.Shared);
        Assert.Throws<ArgumentOutOfRangeException>(() => file.Write(0, map, Page, 2 * Page));
        Assert.Throws<ArgumentOutOfRangeException>(() => file.Read(0, map, -1, Page));
    }

    /// <summary>
    /// A writer copies from a mapping while another thread cuts the mapped file to two pages and
    /// writes the rest back: each pwrite copies whole pages or stops at the first that faults past
    /// EOF (short; on this machine most of them), and every page it copied is the source's or zeros.
    /// </summary>
    [Fact]
    public void A_copy_racing_a_truncate_of_its_buffer_stops_short_and_copies_whole_pages()
    {
        var data = Pattern(4 * Page, 0x19);
        using var files = new SourceAndDestination(data);
        var (source, destination) = (files.Source, files.Destination);
        using var map = source.Map(0, data.Length, MapProtection.Read, MapSharing.Shared);
        bool done = false;
        var truncator = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                source.Truncate(2 * Page);
                source.Write(2 * Page, data.AsSpan(2 * Page));
            }
        });
        truncator.Start();
        try
        {
            for (int i = 0; i < 2000; i++)
            {
                int written = destination.Write(0, map, 0, data.Length);
                Assert.Equal(0, written % Page);
                AssertPagesAreDataOrZeros(ReadAll(destination, 0, written), data);
            }
        }
        finally
        {
            Volatile.Write(ref done, true);
        }
        truncator.Join();
        Assert.Empty(files.Fs.Check());
    }

    private static void AssertPagesAreDataOrZeros(byte[] copied, byte[] data)
    {
        for (int page = 0; page < copied.Length / Page; page++)
        {
            var got = copied.AsSpan(page * Page, Page);
            Assert.True(got.SequenceEqual(data.AsSpan(page * Page, Page)) || !got.ContainsAnyExcept((byte)0), $"page {page} is neither the source's bytes nor zeros");
        }
    }

    /// <summary>A file system with a file "source" holding the data and an empty file "destination".</summary>
    private sealed class SourceAndDestination : IDisposable
    {
        public SourceAndDestination(byte[] data)
        {
            Source = FileWith(Fs, "source", data);
            Destination = Fs.OpenFile("destination", DaxOpenFlags.Create);
        }

        public DaxFileSystem Fs { get; } = NewFs();
        public DaxFile Source { get; }
        public DaxFile Destination { get; }

        public void Dispose()
        {
            Source.Dispose();
            Destination.Dispose();
            Fs.Dispose();
        }
    }

    private static DaxFile FileWith(DaxFileSystem fs, string name, byte[] data)
    {
        var file = fs.OpenFile(name, DaxOpenFlags.Create);
        file.Write(0, data);
        return file;
    }

    private static byte[] ReadAll(DaxFile file, long offset, int length)
    {
        var bytes = new byte[length];
        Assert.Equal(length, file.Read(offset, bytes));
        return bytes;
    }
}
