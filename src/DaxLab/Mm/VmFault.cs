using DaxLab.Base;

namespace DaxLab.Mm;

/// <summary>A fault handler's answer (the kernel's VM_FAULT_* codes that matter here).</summary>
public enum VmFault
{
    /// <summary>Done, or lost a race: the access retries and faults again if it must.</summary>
    NoPage,
    /// <summary>The PMD handler declines: handle the fault with PTEs.</summary>
    Fallback,
    /// <summary>Beyond EOF, or no blocks could be had: SIGBUS.</summary>
    SigBus,
}

/// <summary>The size of page a fault asks for.</summary>
public enum PageEntrySize
{
    Pte,
    Pmd,
}

/// <summary>struct vm_fault: one fault being handled.</summary>
public readonly record struct FaultContext(VmArea Vma, long Address, long Pgoff, bool Write)
{
    /// <summary>The file offset of the faulting address.</summary>
    public long Pos => Pgoff << Geometry.PageShift;

    /// <summary>A write fault on a private mapping: the data goes to a private copy.</summary>
    public bool IsCow => Write && !Vma.Shared;

    /// <summary>
    /// Whether ->iomap_begin is asked with IOMAP_WRITE (<c>write &amp;&amp; !vmf->cow_page</c>): a
    /// copy-on-write fault only reads the file, so a hole stays a hole.
    /// </summary>
    public bool AllocatesBlocks => Write && !IsCow;
}

/// <summary>vm_operations_struct: how the file system handles faults on its mappings.</summary>
public interface IVmOperations
{
    /// <summary>->huge_fault / ->fault: maps the page (or 2 MiB) at the faulting address.</summary>
    VmFault Fault(in FaultContext vmf, PageEntrySize size);

    /// <summary>->pfn_mkwrite: a store met <paramref name="pte"/>, a device page mapped read-only in a shared mapping.</summary>
    VmFault PfnMkwrite(in FaultContext vmf, Pte pte);
}
