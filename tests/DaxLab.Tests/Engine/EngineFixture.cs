using DaxLab.Base;
using DaxLab.Index;

namespace DaxLab.Tests.Engine;

/// <summary>Helpers to look inside the engine from tests.</summary>
internal static class Inspect
{
    public const long MiB = 1 << 20;

    public static DaxFileSystem NewFs(long size = 64 * MiB) => DaxFileSystem.CreateInMemory(size);

    /// <summary>A file system with the named design (v4.14 for the common 4 KiB zero-page entries).</summary>
    public static DaxFileSystem NewFs(string design) =>
        DaxFileSystem.CreateInMemory(64 * MiB, new DaxOptions { Design = Designs.DesignCatalog.Find(design) });

    public static DaxEntry EntryAt(DaxFile file, long offset)
    {
        var mapping = file.Inode.Mapping;
        using (mapping.XaLock.Hold())
            return mapping.Entries.Load(offset >> Geometry.PageShift);
    }

    /// <summary>Every entry of the file: none may be left locked when no operation runs.</summary>
    public static List<(long Index, DaxEntry Entry)> Entries(DaxFile file) => file.Inode.Mapping.AllEntries();

    public static Mm.Pte PmdAt(DaxMapping map, long offset) => map.Vma.ReadPmd(map.Vma.Start + offset);

    public static Mm.Pte PteAt(DaxMapping map, long offset) => map.Vma.ReadPte(map.Vma.Start + offset);

    public static byte[] Pattern(int length, byte seed)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
            data[i] = (byte)(seed + i * 7);
        return data;
    }
}
