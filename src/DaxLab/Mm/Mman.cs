namespace DaxLab.Mm;

// The mmap(2) flags that mm and the file operations below the API read (the kernel's
// PROT_* and MS_* of uapi mman-common.h); MapSharing and MapAdvice, which only the API
// translates, stay with it.

[Flags]
public enum MapProtection
{
    None = 0,
    Read = 1,
    Write = 2,
    Exec = 4,
}

[Flags]
public enum MsyncFlags
{
    Async = 1,
    Invalidate = 2,
    Sync = 4,
}
