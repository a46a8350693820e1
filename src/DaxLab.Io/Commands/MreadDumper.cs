using DaxLab.Io.Backends;

namespace DaxLab.Io.Commands;

/// <summary>
/// Byte-at-a-time access to a range of a mapping, loading one page piece at a time so that a page
/// the kernel would refuse raises its signal exactly when xfs_io's byte loop would reach it.
/// </summary>
sealed class MappingReader(IIoMapping mapping, long start, long length, long pageSize)
{
    readonly byte[] piece = new byte[pageSize];
    long pieceStart = -1;
    long pieceEnd = -1;

    /// <summary>The byte at <paramref name="index"/> into the range (mapping offset start + index).</summary>
    public byte ByteAt(long index)
    {
        long at = start + index;
        if (at < pieceStart || at >= pieceEnd)
            LoadPieceAround(at);
        return piece[at - pieceStart];
    }

    /// <summary>Loads the part of at's page that lies inside the range.</summary>
    void LoadPieceAround(long at)
    {
        long pageStart = at / pageSize * pageSize;
        pieceStart = Math.Max(pageStart, start);
        pieceEnd = Math.Min(pageStart + pageSize, start + length);
        mapping.Load(pieceStart, piece.AsSpan(0, (int)(pieceEnd - pieceStart)));
    }
}

/// <summary>
/// mread's copy-and-dump loop as xfs_io 6.1 runs it. Bytes are gathered into page-sized chunks
/// and each full chunk is dumped; the first chunk is "length % pagesize" long (a whole page when
/// that is 0). A chunk is never completed by the very first byte, so when the first chunk is one
/// byte long (length % 4096 == 1) no chunk ever completes and nothing is printed: a known 6.1 bug
/// (fixed upstream later), kept so that output matches the real tool.
/// </summary>
sealed class MreadDumper(IoSession session, int dumpMode, long printStart, long length, long pageSize)
{
    readonly byte[] chunk = new byte[pageSize];
    long chunkLength = length % pageSize == 0 ? pageSize : length % pageSize;
    long filled;

    /// <summary>Front to back; each dumped chunk is labelled with its own offset.</summary>
    public void RunForward(MappingReader reader)
    {
        for (long i = 0; i < length; i++)
        {
            if (Gather(reader.ByteAt(i), isFirst: i == 0))
                Dump(printStart + i - (chunkLength - 1));
        }
    }

    /// <summary>Back to front (-r); chunks hold the bytes reversed and are labelled upwards from the start.</summary>
    public void RunBackward(MappingReader reader)
    {
        long label = printStart;
        for (long i = length - 1; i >= 0; i--)
        {
            long dumpedLength = chunkLength;
            if (Gather(reader.ByteAt(i), isFirst: i == length - 1))
            {
                Dump(label);
                label += dumpedLength;
            }
        }
    }

    /// <summary>Adds one byte; true when it completes the current chunk (never for the first byte).</summary>
    bool Gather(byte value, bool isFirst)
    {
        if (filled < chunk.Length)
            chunk[filled] = value;
        filled++;
        return !isFirst && filled == chunkLength;
    }

    /// <summary>Prints the completed chunk when dumping, then starts a new page-sized one.</summary>
    void Dump(long label)
    {
        if (dumpMode != 0)
            session.Out(HexDump.Format(label, chunk.AsSpan(0, (int)chunkLength)));
        chunkLength = pageSize;
        filled = 0;
    }
}
