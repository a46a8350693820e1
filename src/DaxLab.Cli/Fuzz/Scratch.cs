namespace DaxLab.Cli.Fuzz;

/// <summary>Paths for the fuzzer's throw-away device images: in /dev/shm where it exists, so the device's msyncs stay off the disk.</summary>
internal static class Scratch
{
    private static int counter;

    /// <summary>A path that does not exist yet, unique in this process.</summary>
    public static string NewPath(string what)
    {
        string directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string path = Path.Combine(directory, $"daxlab-{what}-{Environment.ProcessId}-{Interlocked.Increment(ref counter)}.img");
        File.Delete(path);
        return path;
    }
}
