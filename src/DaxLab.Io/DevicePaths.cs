namespace DaxLab.Io;

/// <summary>Where `daxlab io` finds its device when not told.</summary>
public static class DevicePaths
{
    /// <summary>The size of a device created on first use: 1 GiB, sparse.</summary>
    public const long DefaultSize = 1L << 30;

    /// <summary>The environment variable that names the device.</summary>
    public const string EnvironmentVariable = "DAXLAB_DEVICE";

    /// <summary>--device, else $DAXLAB_DEVICE, else the per-user default (its folder created if needed).</summary>
    public static string Resolve(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return explicitPath;
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
            return fromEnvironment;
        string path = DefaultPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>$XDG_DATA_HOME/daxlab/pmem0.img, falling back to ~/.local/share/daxlab/pmem0.img (XDG base directory rules).</summary>
    public static string DefaultPath()
    {
        string? dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome) || !Path.IsPathRooted(dataHome))
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(dataHome, "daxlab", "pmem0.img");
    }
}
