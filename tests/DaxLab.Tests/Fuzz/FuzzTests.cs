using System.Buffers.Binary;
using DaxLab.Base;
using DaxLab.Cli.Fuzz;

namespace DaxLab.Tests.Fuzz;

/// <summary>
/// `daxlab fuzz` in the suite: the kept corpus replays clean (every input that once broke the
/// engine or a parser stays fixed), a short seeded run of each target finds nothing, and the
/// fuzzer itself is shown to see what it must: checksums resealed so mutations reach the
/// parsers, exceptions and hangs reported with the input saved.
/// </summary>
public class FuzzTests
{
    /// <summary>Where the build copies tests/DaxLab.Tests/Fuzz/Corpus: one folder per target.</summary>
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Fuzz", "Corpus");

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static TheoryData<string> Targets() => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_corpus_replays_without_a_failure(string name)
    {
        var target = FuzzTargets.Create(name)!;
        string directory = Path.Combine(CorpusDirectory, name);
        Assert.True(Directory.GetFiles(directory, "*." + target.Extension).Length >= 10, $"expected the {name} corpus in {directory}");
        var stdout = new StringWriter();
        int status = FuzzCommand.Replay(target, [directory], Timeout, stdout, TextWriter.Null);
        Assert.True(status == 0, stdout.ToString());
    }

    /// <summary>A seeded run of each target, small enough for every CI run (the long runs are in docs/fs.md).</summary>
    [Theory]
    [InlineData("format", 60)]
    [InlineData("io", 200)]
    [InlineData("scenario", 400)]
    public void A_short_seeded_run_finds_nothing(string name, int inputs)
    {
        var stdout = new StringWriter();
        string failures = Path.Combine(Path.GetTempPath(), $"daxlab-fuzz-failures-{Environment.ProcessId}");
        int status = FuzzCommand.Fuzz(FuzzTargets.Create(name)!, seed: 11, inputs, Timeout, failures, stdout);
        Assert.True(status == 0, stdout.ToString());
        Assert.Contains($"{inputs} inputs tried, 0 failures (0 unique)", stdout.ToString());
    }

    /// <summary>
    /// The first bug the fuzzer found: a checksum-valid superblock whose first data block is
    /// near -2^63 multiplied by the block size into the right log end, passed the geometry check,
    /// and broke an invariant of the allocator. It is damage, refused as such.
    /// </summary>
    [Fact]
    public void A_first_data_block_that_overflows_is_refused_as_damaged_geometry()
    {
        var target = new FormatFuzz();
        byte[] image = FuzzCommand.Load(target, Path.Combine(CorpusDirectory, "format", "first-data-block-overflows.img.gz"));
        Assert.True(BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(72)) < 0, "the regression input keeps its forged first data block");
        var error = Assert.Throws<ErrnoException>(() => MountBytes(image));
        Assert.Equal(Errno.EUCLEAN, error.Errno);
        Assert.Contains("superblock geometry is inconsistent: first data block", error.Message);
    }

    /// <summary>Resealing is what lets a mutation reach the replay: the same forged record is a checksum failure without it and a record that does not fit the state with it.</summary>
    [Fact]
    public void Resealing_carries_a_mutation_past_the_checksums_to_the_replay()
    {
        byte[] image = FormatFuzz.Bases.First(b => FormatImage.RecordOffsets(b).Count > 0).ToArray();
        long record = FormatImage.RecordOffsets(image)[0];
        BinaryPrimitives.WriteInt64LittleEndian(image.AsSpan((int)record + 24), 999_999);
        var torn = Assert.Throws<ErrnoException>(() => MountBytes(image));
        Assert.DoesNotContain("cannot be replayed", torn.Message);
        FormatImage.Reseal(image);
        var replayed = Assert.Throws<ErrnoException>(() => MountBytes(image));
        Assert.Equal(Errno.EUCLEAN, replayed.Errno);
        // Record 0 now creates inode 999999, so the first record naming the old inode no longer fits.
        Assert.Contains("cannot be replayed", replayed.Message);
    }

    /// <summary>The base images are the engine's own and mount clean: a failure in the fuzz run is the mutation's doing.</summary>
    [Fact]
    public void Every_base_image_passes_the_property_unmutated()
    {
        var target = new FormatFuzz();
        foreach (byte[] image in FormatFuzz.Bases)
            Assert.Equal(FuzzResult.Passed("mounted"), target.Run(image));
    }

    [Fact]
    public void An_exception_is_a_failure_with_its_input_saved_and_status_1()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"daxlab-fuzz-throw-{Environment.ProcessId}");
        var stdout = new StringWriter();
        int status = FuzzCommand.Fuzz(new ThrowingTarget(), seed: 1, inputs: 3, Timeout, directory, stdout);
        Assert.Equal(1, status);
        Assert.Contains("input 0: unhandled ArgumentOutOfRangeException", stdout.ToString());
        Assert.Contains("3 inputs tried, 3 failures (1 unique)", stdout.ToString());
        Assert.Single(Directory.GetFiles(directory, "*.txt"));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void An_input_that_never_returns_is_reported_as_a_hang_and_the_run_stops()
    {
        using var release = new ManualResetEventSlim();
        string directory = Path.Combine(Path.GetTempPath(), $"daxlab-fuzz-hang-{Environment.ProcessId}");
        var stdout = new StringWriter();
        int status = FuzzCommand.Fuzz(new BlockingTarget(release), seed: 1, inputs: 5, TimeSpan.FromSeconds(1), directory, stdout);
        release.Set();
        Assert.Equal(1, status);
        Assert.Contains("input 0: hang: no answer after 1 s", stdout.ToString());
        Assert.Contains("1 inputs tried, 1 failures", stdout.ToString());
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Bad_usage_exits_2_with_the_usage()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, FuzzCommand.Run(["--target", "nosuch"], TextWriter.Null, stderr));
        Assert.Contains("unknown target 'nosuch' (targets: format, io, scenario)", stderr.ToString());
        Assert.Equal(2, FuzzCommand.Run(["--inputs", "x", "--target", "io"], TextWriter.Null, new StringWriter()));
    }

    /// <summary>Writes an image to a scratch file and mounts it read-write.</summary>
    private static void MountBytes(byte[] image)
    {
        string path = Path.Combine(Path.GetTempPath(), $"daxlab-fuzz-mount-{Environment.ProcessId}-{Guid.NewGuid():n}.img");
        File.WriteAllBytes(path, image);
        try
        {
            DaxFileSystem.Open(path).Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class ThrowingTarget : IFuzzTarget
    {
        public string Name => "throwing";
        public string Extension => "txt";
        public byte[] Generate(Random random) => [1, 2, 3];
        public FuzzResult Run(byte[] input) => throw new ArgumentOutOfRangeException(nameof(input), "outside the device");
    }

    private sealed class BlockingTarget(ManualResetEventSlim release) : IFuzzTarget
    {
        public string Name => "blocking";
        public string Extension => "txt";
        public byte[] Generate(Random random) => [(byte)random.Next(256)];
        public FuzzResult Run(byte[] input)
        {
            release.Wait();
            return FuzzResult.Passed("released");
        }
    }
}
