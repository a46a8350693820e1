namespace DaxLab.Mm;

// The signals a user access raises, declared where the access path throws them (Memory.cs), as
// the kernel's fault handling in mm/ sends them.

/// <summary>A load or store touched a page past EOF (SIGBUS).</summary>
public sealed class SigBusException(string message) : Exception(message);

/// <summary>A load or store the mapping's protection forbids, or outside the mapping (SIGSEGV).</summary>
public sealed class SigSegvException(string message) : Exception(message);
