using System.Diagnostics;
using DaxLab.Base;

namespace DaxLab.Cli;

/// <summary>
/// `daxlab torture DEVICE --kill RUNS [--seed N]`: runs <see cref="Torture"/> in a child process
/// RUNS times on a fresh device at DEVICE, kills it with SIGKILL after a random number of
/// operations (the kill lands wherever the child then is), and judges what the device holds.
/// </summary>
/// <remarks>
/// A killed process leaves every store it made to its MAP_SHARED device in the host's page
/// cache, so a kill loses nothing the engine had stored: the device must mount, pass fsck, and
/// show, file by file and byte by byte, the state after the last operation the child reported
/// done or after the one it was in. The expected states are the same seeded workload replayed in
/// memory. Outcomes: consistent; refused (mount failed, with its message); damaged (fsck found
/// problems); lost (a name, size or byte that neither state explains).
/// </remarks>
public static class KillRuns
{
    /// <summary>Each run's device: small enough to create and compare quickly, large enough for the workload.</summary>
    private const long DeviceSize = 64L << 20;

    /// <summary>The most operations a run lets the child finish before killing it.</summary>
    private const int MaxOperationsBeforeKill = 400;

    public enum Outcome { Consistent, Refused, Damaged, Lost }

    public static int Run(string device, int seed, int runs, TextWriter stdout)
    {
        var random = new Random(seed);
        var counts = new Dictionary<Outcome, int>();
        for (int run = 0; run < runs; run++)
        {
            int workloadSeed = random.Next();
            int killAfter = random.Next(1, MaxOperationsBeforeKill + 1);
            var (outcome, detail) = RunOnce(device, workloadSeed, killAfter);
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (outcome != Outcome.Consistent)
                stdout.Write($"run {run}: --seed {workloadSeed}, killed after {killAfter} operations: {outcome.ToString().ToLowerInvariant()}: {detail}\n");
        }
        stdout.Write($"{runs} kill -9 runs: " + string.Join(", ", Enum.GetValues<Outcome>().Select(o => $"{counts.GetValueOrDefault(o)} {o.ToString().ToLowerInvariant()}")) + "\n");
        return counts.GetValueOrDefault(Outcome.Consistent) == runs ? 0 : 1;
    }

    /// <summary>One run: mkfs, a child doing the workload killed after <paramref name="killAfter"/> reported operations, the judgement.</summary>
    public static (Outcome Outcome, string Detail) RunOnce(string device, int workloadSeed, int killAfter)
    {
        File.Delete(device);
        try
        {
            DaxFileSystem.Create(device, DeviceSize).Dispose();
            int done = RunAndKill(device, workloadSeed, killAfter);
            return Judge(device, workloadSeed, done);
        }
        finally
        {
            File.Delete(device);
        }
    }

    /// <summary>
    /// Starts `daxlab torture`, kills it once it has reported <paramref name="killAfter"/>
    /// operations, and returns how many it reported in all (the pipe may hold more than were read
    /// when the kill was sent).
    /// </summary>
    private static int RunAndKill(string device, int workloadSeed, int killAfter)
    {
        using var child = Process.Start(TortureChild(device, workloadSeed))!;
        int done = 0;
        while (done < killAfter && child.StandardOutput.ReadLine() is not null)
            done++;
        child.Kill();
        while (child.StandardOutput.ReadLine() is not null)
            done++;
        child.WaitForExit();
        return done;
    }

    private static ProcessStartInfo TortureChild(string device, int workloadSeed) =>
        SelfProcess.StartInfo(["torture", device, "--seed", workloadSeed.ToString()]);

    /// <summary>Mounts the device the kill left and compares it with the workload replayed to <paramref name="done"/> and one more operation.</summary>
    public static (Outcome Outcome, string Detail) Judge(string device, int workloadSeed, int done)
    {
        DaxFileSystem fs;
        try
        {
            fs = DaxFileSystem.Open(device);
        }
        catch (ErrnoException error)
        {
            return (Outcome.Refused, error.Message);
        }
        using (fs)
        {
            var problems = fs.Check();
            if (problems.Count > 0)
                return (Outcome.Damaged, string.Join("; ", problems));
            using var before = Replay(workloadSeed, done);
            using var after = Replay(workloadSeed, done + 1);
            return Compare(fs, before, after) is { } lost ? (Outcome.Lost, lost) : (Outcome.Consistent, "");
        }
    }

    private static DaxFileSystem Replay(int workloadSeed, int operations)
    {
        var fs = DaxFileSystem.CreateInMemory(DeviceSize);
        Torture.Run(fs, workloadSeed, operations, TextWriter.Null);
        return fs;
    }

    /// <summary>
    /// The first name, size or byte of <paramref name="crashed"/> that is neither <paramref name="before"/>'s
    /// nor <paramref name="after"/>'s, or null. Byte by byte, because an interrupted write or
    /// zeroing leaves part of its bytes: data is not atomic against a kill, metadata records are.
    /// </summary>
    private static string? Compare(DaxFileSystem crashed, DaxFileSystem before, DaxFileSystem after)
    {
        var names = crashed.FileNames.ToHashSet();
        if (before.FileNames.FirstOrDefault(n => !names.Contains(n)) is { } missing)
            return $"file {missing} is missing";
        if (names.FirstOrDefault(n => !after.FileNames.Contains(n)) is { } extra)
            return $"file {extra} was never created";
        foreach (string name in names)
        {
            var crashedBytes = Contents(crashed, name);
            var beforeBytes = before.FileNames.Contains(name) ? Contents(before, name) : [];
            var afterBytes = Contents(after, name);
            if (crashedBytes.Length != beforeBytes.Length && crashedBytes.Length != afterBytes.Length)
                return $"file {name} has size {crashedBytes.Length}, neither {beforeBytes.Length} nor {afterBytes.Length}";
            for (int at = 0; at < crashedBytes.Length; at++)
            {
                if (crashedBytes[at] != ByteAt(beforeBytes, at) && crashedBytes[at] != ByteAt(afterBytes, at))
                    return $"file {name} byte {at} is 0x{crashedBytes[at]:x2}, neither 0x{ByteAt(beforeBytes, at):x2} nor 0x{ByteAt(afterBytes, at):x2}";
            }
        }
        return null;
    }

    // Past a state's EOF a byte reads as zero once the file grows over it.
    private static byte ByteAt(byte[] bytes, int at) => at < bytes.Length ? bytes[at] : (byte)0;

    private static byte[] Contents(DaxFileSystem fs, string name)
    {
        using var file = fs.OpenFile(name);
        var bytes = new byte[checked((int)file.Length)];
        // A short read shows as a size neither state explains.
        return bytes[..file.Read(0, bytes)];
    }
}
