using System.Buffers.Binary;
using DaxLab.Base;
using DaxLab.Mm;

namespace DaxLab.Cli.Fuzz;

/// <summary>
/// `daxlab fuzz --target format`: device images made by real workloads, mutated (bit flips,
/// stores of boundary values into the fields of every region, zeroed ranges, block copies,
/// splices from another image, truncation), most of them resealed so their checksums hold. Each
/// image goes through fsck, a read-write mount, reads, writes, a truncate, fsync, unmount and a
/// remount.
/// </summary>
/// <remarks>
/// The property: every image is either refused with an <see cref="ErrnoException"/> carrying a
/// message, or mounts, passes the consistency check, takes the operations (which may fail only
/// with an errno), unmounts, and mounts again with what fsync returned for. Any other exception
/// is a failure, among them the device's own range check (<see cref="ArgumentOutOfRangeException"/>),
/// which is how an access outside the device shows. fsck and mount must agree: an image fsck
/// calls clean must mount, and one that mounts must not have errors fsck finds.
/// </remarks>
public sealed class FormatFuzz : IFuzzTarget
{
    /// <summary>The smallest device the format allows: mutations and mounts stay cheap.</summary>
    private const long DeviceSize = 8L << 20;

    /// <summary>Every base image carries this format id, so a seed makes the same images on every run.</summary>
    private const ulong FixedFormatId = 0x5a5a_0123_4567_89ab;

    /// <summary>The most bytes read from one file: enough to touch its extents, bounded on a mutated size.</summary>
    private const int ReadLimit = 64 << 10;

    /// <summary>Values that sit on the edges of the checks: zero, one, signs, widths, sizes of this geometry.</summary>
    private static readonly long[] Boundaries =
    [
        0, 1, -1, 2, 7, 8, 63, 64, 255, 256, 511, 512, 4095, 4096, 4097, 65535, 65536, int.MaxValue, int.MinValue,
        uint.MaxValue, long.MaxValue, long.MinValue, DeviceSize, DeviceSize / FileSystemBlock, DeviceSize / FileSystemBlock - 1, 1L << 40, 1L << 20,
    ];

    private const int FileSystemBlock = 4096;

    private static readonly Lazy<byte[][]> LazyBases = new(MakeBases);

    public string Name => "format";

    public string Extension => "img.gz";

    /// <summary>The images mutations start from: fresh, after short and long workloads (the log wrapped), mounted (a log to replay) or cleanly unmounted.</summary>
    public static IReadOnlyList<byte[]> Bases => LazyBases.Value;

    public byte[] Generate(Random random)
    {
        var bases = LazyBases.Value;
        byte[] image = (byte[])bases[random.Next(bases.Length)].Clone();
        int mutations = random.Next(1, 5);
        for (int i = 0; i < mutations; i++)
            image = Mutate(image, random, bases);
        if (random.Next(5) != 0)
            FormatImage.Reseal(image);
        return image;
    }

    public FuzzResult Run(byte[] input)
    {
        string path = Scratch.NewPath("fuzz");
        try
        {
            File.WriteAllBytes(path, input);
            return Judge(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>fsck, then a read-write mount with operations, then a remount: the first broken promise, or null.</summary>
    private static FuzzResult Judge(string path)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int fsck = Fsck.Run([path], stdout, stderr);
        if (fsck is not (Fsck.ExitClean or Fsck.ExitErrorsLeft or Fsck.ExitOperationalError))
            return FuzzResult.Failed($"fsck exited {fsck}");
        if (fsck != Fsck.ExitClean && (stdout.ToString() + stderr).Trim().Length == 0)
            return FuzzResult.Failed($"fsck exited {fsck} without saying why");
        DaxFileSystem fs;
        try
        {
            fs = DaxFileSystem.Open(path);
        }
        catch (ErrnoException refused)
        {
            if (refused.Message.Trim().Length == 0)
                return FuzzResult.Failed($"mount refused with {refused.Errno} and no message");
            return fsck == Fsck.ExitClean ? FuzzResult.Failed($"fsck says clean but mount refuses: {refused.Message}") : FuzzResult.Passed($"refused {refused.Errno}", refused.Message);
        }
        (string Name, byte[] Data)? synced;
        using (fs)
        {
            if (fs.Check() is [var first, ..])
                return FuzzResult.Failed($"mount accepted an inconsistent image: {first}");
            synced = Exercise(fs);
            if (fs.Check() is [var after, ..])
                return FuzzResult.Failed($"operations left the file system inconsistent: {after}");
        }
        return Remount(path, synced) is { } broken ? FuzzResult.Failed(broken) : FuzzResult.Passed("mounted");
    }

    /// <summary>Reads every file, writes, truncates and fsyncs some; returns a file written and fsynced, with its contents, if that went through.</summary>
    private static (string Name, byte[] Data)? Exercise(DaxFileSystem fs)
    {
        var buffer = new byte[ReadLimit];
        int index = 0;
        foreach (string name in fs.FileNames.Take(8))
        {
            using var file = fs.OpenFile(name);
            long length = file.Length;
            file.Read(0, buffer);
            file.Read(Math.Max(0, length - FileSystemBlock), buffer.AsSpan(0, FileSystemBlock));
            Tolerate(() => file.Write(length / 2, Pattern(FileSystemBlock, index)));
            if (index++ % 2 == 0)
                Tolerate(() => file.Truncate(length / 3));
            Tolerate(() => file.PunchHole(0, FileSystemBlock));
            Tolerate(file.Fsync);
        }
        byte[] data = Pattern(3 * FileSystemBlock + 5, 7);
        try
        {
            using var created = fs.OpenFile("fuzz-synced", DaxOpenFlags.Create | DaxOpenFlags.Truncate);
            created.Write(0, data);
            created.Fsync();
            return ("fuzz-synced", data);
        }
        catch (ErrnoException)
        {
            return null;
        }
    }

    /// <summary>Our own clean unmount must mount again, consistent, with the fsynced file intact.</summary>
    private static string? Remount(string path, (string Name, byte[] Data)? synced)
    {
        DaxFileSystem fs;
        try
        {
            fs = DaxFileSystem.Open(path);
        }
        catch (ErrnoException e)
        {
            return $"the image does not mount again after a clean unmount: {e.Message}";
        }
        using (fs)
        {
            if (fs.Check() is [var first, ..])
                return $"inconsistent after remount: {first}";
            if (synced is not var (name, data))
                return null;
            using var file = fs.OpenFile(name);
            var back = new byte[data.Length];
            if (file.Length != data.Length || file.Read(0, back) != data.Length || !back.AsSpan().SequenceEqual(data))
                return $"fsynced file {name} lost after remount (size {file.Length}, expected {data.Length})";
        }
        return null;
    }

    /// <summary>Runs an operation that an errno may refuse (ENOSPC, EFBIG, ...): the documented kind of failure.</summary>
    private static void Tolerate(Action operation)
    {
        try
        {
            operation();
        }
        catch (ErrnoException)
        {
            // A refusal with an errno is allowed; anything else escapes to the driver.
        }
    }

    private static byte[] Pattern(int length, int salt)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
            bytes[i] = (byte)(i * 31 + salt + 1);
        return bytes;
    }

    /// <summary>One mutation, chosen by weight: most aim at the metadata, whose parsing is what is fuzzed.</summary>
    private static byte[] Mutate(byte[] image, Random random, byte[][] bases)
    {
        var regions = FormatImage.Regions(image);
        var region = regions[random.Next(regions.Count)];
        long at = region.Offset + random.NextInt64(Math.Max(1, region.Length));
        switch (random.Next(10))
        {
            case 0 or 1 or 2:
                StoreField(image, random);
                break;
            case 3:
                if (at < image.Length)
                    image[at] ^= (byte)(1 << random.Next(8));
                break;
            case 4:
                if (at < image.Length)
                    image[at] = (byte)Boundaries[random.Next(Boundaries.Length)];
                break;
            case 5:
                Array.Clear(image, (int)Math.Min(at, image.Length), (int)Math.Min(random.Next(1, 4097), image.Length - Math.Min(at, image.Length)));
                break;
            case 6:
                CopyBlock(image, image, random, at);
                break;
            case 7:
                CopyBlock(bases[random.Next(bases.Length)], image, random, at);
                break;
            case 8:
                DuplicateRecord(image, random);
                break;
            default:
                return Resize(image, random);
        }
        return image;
    }

    /// <summary>A boundary value, or a neighbour of the field's own value, into a field of the superblock, a tail, a checkpoint or a record.</summary>
    private static void StoreField(byte[] image, Random random)
    {
        var fields = FormatImage.Fields(image);
        if (fields.Count == 0)
            return;
        var field = fields[random.Next(fields.Count)];
        long old = FormatImage.I64(image, field.Offset);
        long value = random.Next(3) switch
        {
            0 => old + random.Next(-2, 3),
            1 => FormatImage.I64(image, fields[random.Next(fields.Count)].Offset),
            _ => Boundaries[random.Next(Boundaries.Length)],
        };
        Span<byte> at = image.AsSpan((int)field.Offset, field.Width);
        switch (field.Width)
        {
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)value); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(at, value); break;
        }
    }

    /// <summary>Copies 8 bytes to two blocks from <paramref name="from"/> (this image or another base) over <paramref name="to"/> at <paramref name="at"/>.</summary>
    private static void CopyBlock(byte[] from, byte[] to, Random random, long at)
    {
        int length = random.Next(1, 2 * FileSystemBlock / 8 + 1) * 8;
        var regions = FormatImage.Regions(from);
        var region = regions[random.Next(regions.Count)];
        long source = region.Offset + random.NextInt64(Math.Max(1, region.Length));
        length = (int)Math.Min(length, Math.Min(from.Length - source, to.Length - at));
        if (length > 0)
            Array.Copy(from, source, to, at, length);
    }

    /// <summary>A log record copied over another record's place: a replayed, reordered or stale record, once resealed.</summary>
    private static void DuplicateRecord(byte[] image, Random random)
    {
        var records = FormatImage.RecordOffsets(image);
        if (records.Count == 0)
            return;
        long from = records[random.Next(records.Count)];
        long to = records[random.Next(records.Count)];
        int length = (int)Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan((int)from + 6)), image.Length - Math.Max(from, to));
        Array.Copy(image, from, image, to, length);
    }

    /// <summary>Truncates the image (anywhere, or to a whole number of 2 MiB regions) or extends it by a region.</summary>
    private static byte[] Resize(byte[] image, Random random)
    {
        long length = random.Next(3) switch
        {
            0 => random.NextInt64(image.Length),
            1 => Math.Max(0, image.Length - (2L << 20)),
            _ => image.Length + (2L << 20),
        };
        var resized = new byte[length];
        Array.Copy(image, resized, Math.Min(length, image.Length));
        return resized;
    }

    /// <summary>Builds the base images (a few seconds, once per process).</summary>
    private static byte[][] MakeBases() =>
    [
        Base(seed: 1, operations: 0, unmount: true),
        Base(seed: 2, operations: 25, unmount: false),
        Base(seed: 3, operations: 80, unmount: true),
        Base(seed: 4, operations: 300, unmount: false),
        Base(seed: 5, operations: 1200, unmount: false),
    ];

    /// <summary>mkfs, a seeded workload, and the device's bytes, as a kill -9 leaves them (a log to replay) or after unmount.</summary>
    private static byte[] Base(int seed, int operations, bool unmount)
    {
        string path = Scratch.NewPath("fuzz-base");
        try
        {
            var fs = DaxFileSystem.Create(path, DeviceSize);
            Workload(fs, seed, operations);
            // Abandon drops the mapping without unmounting: the image a kill -9 leaves.
            if (unmount)
                fs.Dispose();
            else
                fs.Abandon();
            byte[] image = File.ReadAllBytes(path);
            FormatImage.SetFormatId(image, FixedFormatId);
            return image;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Creates, writes, truncates, punches, fallocates, stores through mappings and fsyncs over six files within 1 MiB each.</summary>
    private static void Workload(DaxFileSystem fs, int seed, int operations)
    {
        var random = new Random(seed);
        for (int i = 0; i < operations; i++)
        {
            using var file = fs.OpenFile(random.Next(3) == 0 ? $"file-é-{random.Next(6)}" : $"f{random.Next(6)}", DaxOpenFlags.Create);
            long offset = random.Next(1 << 20);
            int length = random.Next(1, 64 << 10);
            Tolerate(() => Step(file, random, offset, length));
        }
    }

    private static void Step(DaxFile file, Random random, long offset, int length)
    {
        switch (random.Next(7))
        {
            case 0 or 1: file.Write(offset, Pattern(length, random.Next(256))); break;
            case 2: file.Truncate(random.Next(1 << 20)); break;
            case 3: file.PunchHole(offset, length); break;
            case 4: file.Allocate(offset, length, keepSize: random.Next(2) == 0); break;
            case 5 when file.Length >= FileSystemBlock:
                using (var map = file.Map(0, FileSystemBlock, MapProtection.Read | MapProtection.Write, MapSharing.Shared))
                    map.Store(random.Next(FileSystemBlock - 8), BitConverter.GetBytes(random.NextInt64()));
                break;
            default: file.Fsync(); break;
        }
    }
}
