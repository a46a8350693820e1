namespace DaxLab.Mm;

// The signals a user access raises, declared where the access path throws them (Memory.cs), as
// the kernel's fault handling in mm/ sends them.

/// <summary>
/// A load or store touched a page past EOF, or one the file system could not give blocks to
/// (SIGBUS). <see cref="FileOffset"/> is the file offset of the access that faulted, as
/// siginfo's si_addr names the address.
/// </summary>
public sealed class SigBusException(string message, long fileOffset) : Exception(message)
{
    public long FileOffset { get; } = fileOffset;
}

/// <summary>A load or store the mapping's protection forbids, or outside the mapping (SIGSEGV).</summary>
public sealed class SigSegvException(string message) : Exception(message);
