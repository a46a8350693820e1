using System.Reflection;

namespace DaxLab.Cli.Bench;

/// <summary>
/// What the build recorded about its own source: the informational version MSBuild embedded
/// (Directory.Build.targets: 1.0.0+&lt;git describe&gt;, or +no-git) and the build configuration.
/// Read from the assembly, not from a git call at run time, so a binary run from anywhere still
/// names the source it was built from.
/// </summary>
public static class BuildProvenance
{
    /// <summary>The revision Directory.Build.targets records when git could not describe the tree.</summary>
    public const string NoGit = "no-git";

    static Assembly Cli => typeof(BuildProvenance).Assembly;

    /// <summary>The whole informational version, e.g. 1.0.0+f91a2d92d84c-dirty.</summary>
    public static string InformationalVersion =>
        Cli.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "not recorded";

    /// <summary>The source revision part (git describe: a commit, "-dirty" for uncommitted changes), or why there is none.</summary>
    public static string Commit => CommitOf(InformationalVersion);

    /// <summary>The part of an informational version after '+', or a sentence saying the build recorded none.</summary>
    public static string CommitOf(string informationalVersion)
    {
        int plus = informationalVersion.IndexOf('+');
        string revision = plus < 0 ? "" : informationalVersion[(plus + 1)..];
        return revision switch
        {
            "" => "not recorded by the build",
            NoGit => "not recorded: built without git",
            _ => revision,
        };
    }

    /// <summary>Release, ReleaseNoSeam or Debug: what the figures were compiled as.</summary>
    public static string Configuration =>
        Cli.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "not recorded";
}
