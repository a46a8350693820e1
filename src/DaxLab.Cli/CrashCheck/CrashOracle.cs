using DaxLab.Fs;

namespace DaxLab.Cli.CrashCheck;

/// <summary>
/// What a crash image may hold, kept beside a workload as it runs: for each file, the bytes
/// each write stored (every write fills its range with a byte of its own, its tag, unique in
/// the workload), the content fsync last returned for, and the ranges msync or a MAP_SYNC
/// store plus flush returned for. Judges a mounted crash image against it.
/// </summary>
/// <remarks>
/// The rules, per file of the image:
/// - its name is one the workload created;
/// - each byte is zero, the byte it held when fsync last returned, or the tag of a write to
///   that offset since then (so another file's data, or data of this file from before a
///   durable truncate or punch, is a violation: stale data from a freed block);
/// - unchanged since fsync returned: exactly that size and content; since msync or a MAP_SYNC
///   store was flushed: that range's bytes.
/// A file whose promise stands must be in the image. A promise lapses when the file changes
/// again (a later change may be half durable). Names are not reused: a workload that unlinks
/// a name never creates it again, so each name is one file.
/// </remarks>
internal sealed class CrashOracle
{
    /// <summary>One write's range and fill byte.</summary>
    private readonly record struct Stored(long Offset, long Length, byte Tag);

    /// <summary>A promise: durable bytes at an offset, and the size the file had when made (null: size not promised).</summary>
    private sealed record Promise(string What, long Offset, byte[] Bytes, long? Size);

    private sealed class FileState
    {
        /// <summary>The content when fsync last returned (empty before the first fsync).</summary>
        public byte[] Baseline = [];

        /// <summary>Writes since <see cref="Baseline"/>, whose tags may show at their offsets.</summary>
        public readonly List<Stored> Since = [];

        /// <summary>What fsync, msync and MAP_SYNC promised since the file last changed.</summary>
        public readonly List<Promise> Promises = [];

        public bool Unlinked;
    }

    private readonly Dictionary<string, FileState> files = [];
    private int nextTag = 1;

    /// <summary>A new file; a name is created once per workload.</summary>
    public void Created(string name)
    {
        if (!files.TryAdd(name, new FileState()))
            throw new InvalidOperationException($"crash workload reuses the name '{name}'");
    }

    /// <summary>The fill byte of the next write: unique in the workload, never zero.</summary>
    public byte NextTag()
    {
        if (nextTag > byte.MaxValue)
            throw new InvalidOperationException("a crash workload has at most 255 writes (one fill byte each)");
        return (byte)nextTag++;
    }

    /// <summary>A write of <paramref name="length"/> bytes of <paramref name="tag"/> at <paramref name="offset"/> (write(2) or a mapped store).</summary>
    public void Wrote(string name, long offset, long length, byte tag)
    {
        FileState file = files[name];
        file.Since.Add(new Stored(offset, length, tag));
        file.Promises.Clear();
    }

    /// <summary>A change that stores no new bytes (truncate, punch, fallocate): promises lapse.</summary>
    public void Changed(string name) => files[name].Promises.Clear();

    public void Unlinked(string name)
    {
        files[name].Unlinked = true;
        files[name].Promises.Clear();
    }

    /// <summary>fsync returned with the file at <paramref name="content"/>: that is now its baseline and its promise.</summary>
    public void Fsynced(string name, byte[] content)
    {
        FileState file = files[name];
        file.Baseline = content;
        file.Since.Clear();
        file.Promises.Clear();
        file.Promises.Add(new Promise("fsync", 0, content, content.Length));
    }

    /// <summary>msync or a flushed MAP_SYNC store returned with <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    public void RangeDurable(string name, string what, long offset, byte[] bytes) =>
        files[name].Promises.Add(new Promise(what, offset, bytes, null));

    /// <summary>The first way the mounted crash image breaks the rules, or null.</summary>
    public string? Judge(FileSystem fs)
    {
        var seen = new HashSet<string>();
        foreach (Inode inode in fs.Inodes)
        {
            seen.Add(inode.Name);
            if (!files.TryGetValue(inode.Name, out FileState? file))
                return $"file '{inode.Name}' was never created by the workload";
            byte[] content = CrashImage.ReadFile(fs, inode);
            if (ForeignByte(file, content) is { } foreign)
                return $"file '{inode.Name}': {foreign}";
            foreach (Promise p in file.Promises)
            {
                if (Broken(p, content) is { } broken)
                    return $"file '{inode.Name}': {p.What} returned, but {broken}";
            }
        }
        foreach ((string name, FileState file) in files)
        {
            if (!file.Unlinked && file.Promises.Count > 0 && !seen.Contains(name))
                return $"file '{name}' is gone, but {file.Promises[0].What} returned for it";
        }
        return null;
    }

    /// <summary>A byte that is none of zero, the baseline's, or a later write's tag at its offset.</summary>
    private static string? ForeignByte(FileState file, byte[] content)
    {
        for (int i = 0; i < content.Length; i++)
        {
            byte b = content[i];
            if (b == 0 || (i < file.Baseline.Length && file.Baseline[i] == b) || file.Since.Exists(s => s.Tag == b && s.Offset <= i && i < s.Offset + s.Length))
                continue;
            return $"byte {i} is 0x{b:x2}, which this file never held there (another file's data, or stale data of a freed block)";
        }
        return null;
    }

    private static string? Broken(Promise p, byte[] content)
    {
        if (p.Size is { } size && size != content.Length)
            return $"its size is {content.Length}, not {size}";
        if (content.Length < p.Offset + p.Bytes.Length)
            return $"it ends at {content.Length}, before the {p.Bytes.Length} bytes at {p.Offset}";
        int differs = content.AsSpan((int)p.Offset, p.Bytes.Length).CommonPrefixLength(p.Bytes);
        return differs == p.Bytes.Length ? null
            : $"byte {p.Offset + differs} is 0x{content[p.Offset + differs]:x2}, not 0x{p.Bytes[differs]:x2}";
    }
}
