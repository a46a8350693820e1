using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace DaxLab.Cli.Fuzz;

/// <summary>
/// `daxlab fuzz --target format|io|scenario [--inputs N] [--seed S] [--timeout SECONDS] [--out DIR]`
/// and `daxlab fuzz --target T --replay PATH...`: runs seeded inputs (or saved ones) through a
/// target under a watchdog, prints each failure once per kind with the file its input was saved
/// to, then a summary line; exit 0 when nothing failed, 1 otherwise, 2 for bad usage.
/// </summary>
public static partial class FuzzCommand
{
    public const string Usage =
        "usage: daxlab fuzz --target format|io|scenario [--inputs N] [--seed S] [--timeout SECONDS] [--out DIR] [--corpus DIR]\n"
        + "       daxlab fuzz --target format|io|scenario --replay FILE|DIR...\n"
        + "  format    device images from real workloads, mutated and mostly resealed: fsck, mount, I/O, remount\n"
        + "  io        random `daxlab io` command lines on a fresh device\n"
        + "  scenario  mutated scenario files through the parser and validation\n"
        + "  --inputs N        inputs to generate (default 1000)\n"
        + "  --seed S          the seed the inputs are drawn from (default 1)\n"
        + "  --timeout SECONDS an input still running after this is a hang (default 60)\n"
        + "  --out DIR         where failing inputs are saved (default fuzz-failures)\n"
        + "  --corpus DIR      also save each input whose outcome or refusal message is new (a corpus to replay)\n"
        + "  exit status: 0 no failure, 1 failures (inputs saved), 2 usage error\n";

    private const int UsageExit = 2;

    /// <summary>How much of a refusal's message tells inputs apart for --corpus: its start names the check that refused.</summary>
    private const int CorpusKeyChars = 40;

    /// <summary>How one input ended: its outcome, the failure's description (null when it passed), and whether it hung.</summary>
    public sealed record Verdict(string Outcome, string? Failure, bool Hang, string Detail = "");

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? targetName = null;
        int inputs = 1000, seed = 1, timeout = 60;
        string outDir = "fuzz-failures";
        string? corpus = null;
        List<string>? replay = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "--replay")
                replay = [];
            else if (replay is not null && !arg.StartsWith('-'))
                replay.Add(arg);
            else if (i + 1 >= args.Length || !TakeValue(arg, args[++i], ref targetName, ref inputs, ref seed, ref timeout, ref outDir, ref corpus))
                return Complain(stderr, $"unexpected or bad argument '{arg}'");
        }
        if (targetName is null || FuzzTargets.Create(targetName) is not { } target)
            return Complain(stderr, targetName is null ? "no --target given" : $"unknown target '{targetName}' (targets: {string.Join(", ", FuzzTargets.Names)})");
        if (replay is [])
            return Complain(stderr, "--replay needs files or directories");
        var limit = TimeSpan.FromSeconds(timeout);
        return replay is null
            ? Fuzz(target, seed, inputs, limit, outDir, stdout, corpus)
            : Replay(target, replay, limit, stdout, stderr);
    }

    /// <summary>Generates and runs <paramref name="inputs"/> inputs; saves each failing one and prints each new kind of failure.</summary>
    public static int Fuzz(IFuzzTarget target, int seed, int inputs, TimeSpan timeout, string outDir, TextWriter stdout, string? corpus = null)
    {
        var random = new Random(seed);
        var kinds = new HashSet<string>();
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>();
        int failures = 0, tried = 0;
        var clock = Stopwatch.StartNew();
        for (; tried < inputs; tried++)
        {
            byte[] input = target.Generate(random);
            Verdict verdict = RunOne(target, input, timeout);
            outcomes[verdict.Outcome] = outcomes.GetValueOrDefault(verdict.Outcome) + 1;
            if (corpus is not null && verdict.Failure is null && seen.Add(Kind(verdict.Outcome + ": " + verdict.Detail[..Math.Min(verdict.Detail.Length, CorpusKeyChars)])))
                Save(target, input, corpus);
            if (verdict.Failure is null)
                continue;
            failures++;
            string saved = Save(target, input, outDir);
            if (kinds.Add(Kind(verdict.Failure)))
                stdout.Write($"input {tried}: {(verdict.Hang ? "hang: " : "")}{verdict.Failure}\n  saved {saved}\n");
            if (verdict.Hang)
            {
                // The hung input still holds its thread: nothing after it could be trusted.
                tried++;
                break;
            }
        }
        stdout.Write($"outcomes: {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}\n");
        stdout.Write($"fuzz {target.Name}: seed {seed}, {tried} inputs tried, {failures} failures ({kinds.Count} unique), {clock.Elapsed.TotalSeconds:F1} s\n");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Runs saved inputs (files, or every file of a directory); prints each that fails.</summary>
    public static int Replay(IFuzzTarget target, IEnumerable<string> paths, TimeSpan timeout, TextWriter stdout, TextWriter stderr)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.GetFiles(path, "*." + target.Extension).Order());
            else if (File.Exists(path))
                files.Add(path);
            else
                return Complain(stderr, $"{path}: no such file or directory");
        }
        int failures = 0;
        foreach (string file in files)
        {
            Verdict verdict = RunOne(target, Load(target, file), timeout);
            if (verdict.Failure is null)
                continue;
            failures++;
            stdout.Write($"{file}: {(verdict.Hang ? "hang: " : "")}{verdict.Failure}\n");
            if (verdict.Hang)
                break;
        }
        stdout.Write($"fuzz {target.Name}: {files.Count} saved inputs replayed, {failures} failures\n");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// One input on a thread of its own, watched: an exception is a failure naming its type,
    /// message and where it was thrown; no answer within <paramref name="timeout"/> is a hang.
    /// </summary>
    public static Verdict RunOne(IFuzzTarget target, byte[] input, TimeSpan timeout)
    {
        var run = Task.Factory.StartNew(() =>
        {
            try
            {
                FuzzResult result = target.Run(input);
                return new Verdict(result.Outcome, result.Failure, false, result.Detail);
            }
            catch (Exception e)
            {
                return new Verdict("failed", $"unhandled {e.GetType().Name}: {e.Message} at {TopFrame(e)}", false);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return run.Wait(timeout) ? run.Result : new Verdict("hang", $"no answer after {timeout.TotalSeconds:F0} s", true);
    }

    /// <summary>Reads a saved input, gunzipping an image.</summary>
    public static byte[] Load(IFuzzTarget target, string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (!target.Extension.EndsWith(".gz"))
            return bytes;
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>Saves an input under its content hash (gzipped for an image) and returns the path.</summary>
    public static string Save(IFuzzTarget target, byte[] input, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{target.Name}-{Convert.ToHexStringLower(SHA256.HashData(input))[..16]}.{target.Extension}");
        if (!target.Extension.EndsWith(".gz"))
        {
            File.WriteAllBytes(path, input);
            return path;
        }
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        gzip.Write(input);
        return path;
    }

    /// <summary>A failure's kind: its text without numbers, so the same bug at other offsets counts once.</summary>
    private static string Kind(string failure) => Digits().Replace(failure, "N");

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    /// <summary>The first DaxLab frame of the exception's stack (where the engine went wrong).</summary>
    private static string TopFrame(Exception e)
    {
        var frames = new StackTrace(e, fNeedFileInfo: false).GetFrames();
        var frame = frames.FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("DaxLab") == true) ?? frames.FirstOrDefault();
        var method = frame?.GetMethod();
        return method is null ? "(unknown)" : $"{method.DeclaringType?.Name}.{method.Name}";
    }

    /// <summary>One option with its value; false for an unknown option or a bad value.</summary>
    private static bool TakeValue(string option, string value, ref string? target, ref int inputs, ref int seed, ref int timeout, ref string outDir, ref string? corpus)
    {
        switch (option)
        {
            case "--target":
                target = value;
                return true;
            case "--inputs":
                return int.TryParse(value, out inputs) && inputs > 0;
            case "--seed":
                return int.TryParse(value, out seed);
            case "--timeout":
                return int.TryParse(value, out timeout) && timeout > 0;
            case "--out":
                outDir = value;
                return true;
            case "--corpus":
                corpus = value;
                return true;
            default:
                return false;
        }
    }

    private static int Complain(TextWriter stderr, string problem)
    {
        stderr.Write($"daxlab fuzz: {problem}\n{Usage}");
        return UsageExit;
    }
}
