using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

/// <summary>
/// The system-call atomicity check on hand-made logs: 8 bytes of 0x11 before the CPUs start,
/// times chosen so the operations overlap as each test says.
/// </summary>
public class AtomicityTests
{
    private static readonly byte[] Initial = Filled(8, 0x11);

    [Fact]
    public void A_read_torn_by_a_write_is_flagged_with_the_cpus_commands_and_bytes()
    {
        var write = Write(cpu: 0, "pwrite -S 0x22 0 8", 0, Filled(8, 0x22), start: 1, end: 4);
        var read = Read(cpu: 1, "pread 0 8", 0, [.. Filled(4, 0x22), .. Filled(4, 0x11)], start: 2, end: 3);
        var problem = Assert.Single(Violations([read, write], finalContent: Filled(8, 0x22)));
        Assert.Equal("torn read: CPU2's 'pread 0 8' overlapped CPU1's 'pwrite -S 0x22 0 8': bytes [0, 4) cannot precede the write, bytes [4, 8) cannot follow it", problem);
    }

    [Theory]
    [InlineData(0x11)]
    [InlineData(0x22)]
    public void A_read_wholly_before_or_after_the_write_is_not(byte seen)
    {
        var write = Write(cpu: 0, "pwrite -S 0x22 0 8", 0, Filled(8, 0x22), start: 1, end: 4);
        var read = Read(cpu: 1, "pread 0 8", 0, Filled(8, seen), start: 2, end: 3);
        Assert.Empty(Violations([read, write], finalContent: Filled(8, 0x22)));
    }

    [Fact]
    public void Bytes_the_write_left_unchanged_count_for_both_orders()
    {
        // The write puts 0x11 back at bytes [0, 4): a read of all 0x11 matches it there and not
        // at [4, 8), yet it simply came first.
        var write = Write(cpu: 0, "pwrite 0 8", 0, [.. Filled(4, 0x11), .. Filled(4, 0x22)], start: 1, end: 4);
        var read = Read(cpu: 1, "pread 0 8", 0, Filled(8, 0x11), start: 2, end: 3);
        Assert.Empty(Violations([read, write], finalContent: write.Data));
    }

    [Fact]
    public void A_read_after_two_concurrent_writes_may_show_the_later_one_over_the_earlier()
    {
        // Serially: A, then B over A's second half, then the read. Against A alone the read looks
        // torn (half A's, half not), but B may fall between A and the read.
        var a = Write(cpu: 0, "pwrite -S 0x41 0 8", 0, Filled(8, 0x41), start: 1, end: 6);
        var b = Write(cpu: 1, "pwrite -S 0x42 4 4", 4, Filled(4, 0x42), start: 2, end: 5);
        var read = Read(cpu: 2, "pread 0 8", 0, [.. Filled(4, 0x41), .. Filled(4, 0x42)], start: 3, end: 4);
        Assert.Empty(Violations([read, b, a], finalContent: [.. Filled(4, 0x41), .. Filled(4, 0x42)]));
    }

    [Fact]
    public void Loads_through_a_mapping_are_not_held_to_it()
    {
        var write = Write(cpu: 0, "pwrite -S 0x22 0 8", 0, Filled(8, 0x22), start: 1, end: 4);
        var load = new LoggedOp(1, "mread 0 8", IsWrite: false, IsSystemCall: false, 0, [.. Filled(4, 0x22), .. Filled(4, 0x11)], 2, 3);
        Assert.Empty(Violations([load, write], finalContent: Filled(8, 0x22)));
    }

    [Fact]
    public void Two_writes_whose_bytes_the_file_ends_with_both_of_are_flagged()
    {
        var a = Write(cpu: 0, "pwrite -S 0x41 0 8", 0, Filled(8, 0x41), start: 1, end: 3);
        var b = Write(cpu: 1, "pwrite -S 0x42 0 8", 0, Filled(8, 0x42), start: 2, end: 4);
        var problem = Assert.Single(Violations([a, b], finalContent: [.. Filled(4, 0x41), .. Filled(4, 0x42)]));
        Assert.Equal("interleaved writes: CPU1's 'pwrite -S 0x41 0 8' and CPU2's 'pwrite -S 0x42 0 8' overlapped: the file ends with bytes [4, 8) not from the first, bytes [0, 4) not from the second", problem);
    }

    [Fact]
    public void Two_writes_are_not_flagged_when_one_wins_or_a_later_write_covers_the_mix()
    {
        var a = Write(cpu: 0, "pwrite -S 0x41 0 8", 0, Filled(8, 0x41), start: 1, end: 3);
        var b = Write(cpu: 1, "pwrite -S 0x42 0 8", 0, Filled(8, 0x42), start: 2, end: 4);
        Assert.Empty(Violations([a, b], finalContent: Filled(8, 0x42)));
        var later = Write(cpu: 2, "pwrite -S 0x43 0 4", 0, Filled(4, 0x43), start: 5, end: 6);
        Assert.Empty(Violations([a, b, later], finalContent: [.. Filled(4, 0x43), .. Filled(4, 0x42)]));
    }

    private static List<string> Violations(List<LoggedOp> log, byte[] finalContent) =>
        [.. SystemCallAtomicity.Violations(new OpHistory(log, Initial), (offset, length) => finalContent.AsSpan((int)offset, length).ToArray())];

    private static LoggedOp Write(int cpu, string command, long offset, byte[] data, long start, long end) =>
        new(cpu, command, IsWrite: true, IsSystemCall: true, offset, data, start, end);

    private static LoggedOp Read(int cpu, string command, long offset, byte[] data, long start, long end) =>
        new(cpu, command, IsWrite: false, IsSystemCall: true, offset, data, start, end);

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
