using DaxLab.Base;
using DaxLab.Sync;

namespace DaxLab.Mm;

/// <summary>
/// mm/memory.c: loads and stores through a mapping's page table, and handle_mm_fault.
/// </summary>
public static unsafe class Memory
{
    /// <summary>
    /// How many times in a row one access may fault and still miss before the model calls it a
    /// livelock: each retry means another CPU changed the page table in between, so a
    /// legitimate run needs a handful.
    /// </summary>
    public const int MaxFaultRetries = 100_000;

    /// <summary>A load of <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> into the mapping.</summary>
    public static void Load(VmArea vma, Seam seam, long offset, Span<byte> buffer)
    {
        fixed (byte* destination = buffer)
            ProgramCopy(vma, seam, offset, destination, buffer.Length, write: false);
    }

    /// <summary>A store of <paramref name="buffer"/> at <paramref name="offset"/> into the mapping.</summary>
    public static void Store(VmArea vma, Seam seam, long offset, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* source = buffer)
            ProgramCopy(vma, seam, offset, source, buffer.Length, write: true);
    }

    /// <summary>
    /// A program's cache flush (clwb of each line, then sfence) of mapping bytes [offset, offset +
    /// length): lines of device pages the page table maps are written back; a page not mapped
    /// holds no store of this mapping to write back.
    /// </summary>
    public static void Persist(VmArea vma, long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > vma.Length)
            throw new SigSegvException($"flush at mapping offset {offset} length {length} outside the {vma.Length}-byte mapping");
        byte* device = vma.Device.Base;
        for (long at = offset; at < offset + length;)
        {
            long chunk = Math.Min(Geometry.PageSize - ((vma.Start + at) & Geometry.PageMask), offset + length - at);
            byte* target = vma.Translate(vma.Start + at, write: false);
            if (target >= device && target < device + vma.Device.Size)
                vma.Device.Flush(target - device, chunk);
            at += chunk;
        }
        vma.Device.Fence();
    }

    /// <summary>A program's load or store: outside the mapping or against its protection it is SIGSEGV; a fault's signal reaches the program.</summary>
    private static void ProgramCopy(VmArea vma, Seam seam, long offset, byte* user, int length, bool write)
    {
        if (offset < 0 || length < 0 || offset + length > vma.Length)
            throw new SigSegvException($"access at mapping offset {offset} length {length} outside the {vma.Length}-byte mapping");
        if (!Permits(vma, write))
            throw new SigSegvException(write ? "store to a mapping without PROT_WRITE" : "load from a mapping without PROT_READ");
        Copy(vma, seam, offset, user, length, new ProgramAccess(write));
    }

    /// <summary>
    /// copy_from_user: a system call loads mapping bytes [offset, offset + to.Length) into
    /// <paramref name="to"/>, kernel memory belonging to <paramref name="kernelMemory"/> (declared
    /// with each page's access, in the step that copies it). The loads fault like a program's,
    /// under whatever locks the caller holds; a fault that would raise a signal ends the copy
    /// instead. Returns the bytes copied, fewer when a signal stopped it (the caller's EFAULT).
    /// <paramref name="transcript"/>, when not empty, receives each page's bytes in the step
    /// that copied them: what the copy moved, for a caller that must log it.
    /// </summary>
    public static int CopyFromUser(VmArea vma, long offset, Span<byte> to, object kernelMemory, Span<byte> transcript)
    {
        fixed (byte* kernel = to)
            return SystemCallCopy(vma, offset, kernel, to.Length, write: false, kernelMemory, transcript);
    }

    /// <summary>
    /// copy_to_user: a system call stores <paramref name="from"/> into mapping bytes
    /// [offset, offset + from.Length); as <see cref="CopyFromUser"/> the other way.
    /// <paramref name="kernelMemory"/> is what <paramref name="from"/> belongs to, or null when
    /// it is private to the caller (the zero page).
    /// </summary>
    public static int CopyToUser(VmArea vma, long offset, ReadOnlySpan<byte> from, object? kernelMemory, Span<byte> transcript)
    {
        fixed (byte* kernel = from)
            return SystemCallCopy(vma, offset, kernel, from.Length, write: true, kernelMemory, transcript);
    }

    /// <summary>
    /// A user copy: a protection that forbids the access would fault on the first page and
    /// SIGSEGV, so nothing is copied. Its range was checked when its <see cref="UserRange"/> was made.
    /// </summary>
    private static int SystemCallCopy(VmArea vma, long offset, byte* kernel, int length, bool write, object? kernelMemory, Span<byte> transcript)
    {
        Invariant.Holds(offset >= 0 && length >= 0 && offset + length <= vma.Length, "a user copy outside its mapping");
        if (!Permits(vma, write))
            return 0;
        fixed (byte* record = transcript)
            return Copy(vma, vma.Seam, offset, kernel, length, new SystemCallAccess(write, kernelMemory, record));
    }

    /// <summary>clear_user: stores <paramref name="length"/> zeros at <paramref name="offset"/>, from the huge zero page; returns the bytes cleared.</summary>
    public static int ClearUser(VmArea vma, long offset, int length, Span<byte> transcript)
    {
        int done = 0;
        while (done < length)
        {
            int piece = (int)Math.Min(length - done, Geometry.PmdSize);
            var record = transcript.IsEmpty ? default : transcript.Slice(done, piece);
            int cleared = CopyToUser(vma, offset + done, new ReadOnlySpan<byte>(ZeroPages.Huge, piece), null, record);
            done += cleared;
            if (cleared < piece)
                break;
        }
        return done;
    }

    /// <summary>Whether the protection allows the access; PROT_WRITE implies reads, as on x86.</summary>
    private static bool Permits(VmArea vma, bool write)
    {
        var needed = write ? MapProtection.Write : MapProtection.Read | MapProtection.Write | MapProtection.Exec;
        return (vma.Protection & needed) != 0;
    }

    /// <summary>
    /// What kind of copy between a mapping and other memory one is. A struct per kind, and
    /// <see cref="Copy"/> generic over it, so the JIT makes a copy of the loop for each: a
    /// program's load or store tests nothing of a system call's.
    /// </summary>
    private interface IAccessKind
    {
        bool Write { get; }

        /// <summary>The scheduling point before each page.</summary>
        string Point { get; }

        /// <summary>A fault that would raise a signal ends the copy (true) or reaches the program (false).</summary>
        bool StopsAtSignal { get; }

        /// <summary>Declares the memory on the other side of the copy, in the step that copies a page.</summary>
        void DeclareOtherSide(Seam seam, byte* other, int chunk);

        /// <summary>Keeps what a page's copy moved, read from the other side right after the copy.</summary>
        void Record(byte* other, int done, int chunk);
    }

    /// <summary>A program's load or store: its own memory, nothing to declare or keep; a signal ends the program.</summary>
    private readonly struct ProgramAccess(bool write) : IAccessKind
    {
        public bool Write => write;
        public string Point => write ? "store" : "load";
        public bool StopsAtSignal => false;

        public void DeclareOtherSide(Seam seam, byte* other, int chunk)
        {
        }

        public void Record(byte* other, int done, int chunk)
        {
        }
    }

    /// <summary>
    /// A system call's copy_to_user (a store) or copy_from_user (a load) with kernel memory
    /// belonging to <paramref name="kernelMemory"/> (null: private to the call), keeping a
    /// transcript when <paramref name="transcript"/> is not null; a signal ends the copy.
    /// </summary>
    private readonly struct SystemCallAccess(bool write, object? kernelMemory, byte* transcript) : IAccessKind
    {
        public bool Write => write;
        public string Point => write ? "copy_to_user" : "copy_from_user";
        public bool StopsAtSignal => true;

        public void DeclareOtherSide(Seam seam, byte* other, int chunk)
        {
            if (kernelMemory is not null)
                seam.AccessMemory(other, chunk, write: !write);
        }

        public void Record(byte* other, int done, int chunk)
        {
            if (transcript is not null)
                Buffer.MemoryCopy(other, transcript + done, chunk, chunk);
        }
    }

    /// <summary>
    /// Copies page by page; each page is one access, faulting until its translation exists.
    /// Returns the bytes copied: all of them, or for a system call's copy those before a signal.
    /// </summary>
    private static int Copy<TAccess>(VmArea vma, Seam seam, long offset, byte* other, int length, TAccess access)
        where TAccess : struct, IAccessKind
    {
        int done = 0;
        while (done < length)
        {
            long address = vma.Start + offset + done;
            int chunk = (int)Math.Min(length - done, Geometry.PageSize - (address & Geometry.PageMask));
            seam.Point(access.Point);
            if (!AccessPage(vma, seam, address, other + done, chunk, access, done))
                return done;
            done += chunk;
        }
        return done;
    }

    /// <summary>
    /// One page's access: translate, copy, or fault and retry. False when a system call's fault
    /// would have raised a signal. <paramref name="done"/> places the page in the transcript.
    /// </summary>
    private static bool AccessPage<TAccess>(VmArea vma, Seam seam, long address, byte* other, int chunk, TAccess access, int done)
        where TAccess : struct, IAccessKind
    {
        bool write = access.Write;
        for (int attempt = 0; attempt < MaxFaultRetries; attempt++)
        {
            // Declared per attempt: a retry runs in the step that ended the fault before it.
            seam.Access(vma.Ptl, write: false);
            var cpu = Tlb.BeginAccess();
            byte* target = vma.Translate(address, write);
            if (target is not null)
            {
                seam.AccessMemory(target, chunk, write);
                access.DeclareOtherSide(seam, other, chunk);
                if (write)
                    Buffer.MemoryCopy(other, target, chunk, chunk);
                else
                    Buffer.MemoryCopy(target, other, chunk, chunk);
                access.Record(other, done, chunk);
                Tlb.EndAccess(cpu);
                return true;
            }
            Tlb.EndAccess(cpu);
            if (!access.StopsAtSignal)
                HandleMmFault(vma, seam, address, write);
            else if (!FaultWithoutSignal(vma, seam, address, write))
                return false;
        }
        throw new InvalidOperationException($"livelock: the access at 0x{address:x} faulted {MaxFaultRetries} times without a usable translation");
    }

    /// <summary>
    /// A system call's fault: the kernel's exception fixup turns what would be a signal into a
    /// failed copy (false). Kept apart so a program's access has no handler in its loop.
    /// </summary>
    private static bool FaultWithoutSignal(VmArea vma, Seam seam, long address, bool write)
    {
        try
        {
            HandleMmFault(vma, seam, address, write);
            return true;
        }
        catch (Exception e) when (e is SigBusException or SigSegvException)
        {
            return false;
        }
    }

    /// <summary>
    /// handle_mm_fault: tries a PMD first where the PMD slot is empty, handles write faults on
    /// read-only entries (dirty tracking for shared mappings, copy-on-write for private ones),
    /// then faults a PTE. Throws <see cref="SigBusException"/> or <see cref="SigSegvException"/>.
    /// Context: takes mmap_lock shared. A program's access holds nothing; a system call's user
    /// copy holds what the call took (i_rwsem, the design's locks), which is how a read(2) or
    /// write(2) whose buffer maps a DAX file can wait for itself.
    /// </summary>
    public static void HandleMmFault(VmArea vma, Seam seam, long address, bool write)
    {
        using var mmapLock = vma.MmapLock.Read();
        if (vma.Unmapped)
            throw new SigSegvException($"access at 0x{address:x} after munmap");
        seam.Point("handle_mm_fault");
        // The walk below reads the page table without the ptl, as the fault handler does.
        seam.Access(vma.Ptl, write: false);
        var vmf = new FaultContext(vma, address, vma.PgoffOf(address), write);
        if (!HandlePmdLevel(vmf))
            return;
        HandlePteLevel(vmf);
    }

    /// <summary>The PMD half of __handle_mm_fault; false when the fault is handled (or must retry).</summary>
    private static bool HandlePmdLevel(in FaultContext vmf)
    {
        var vma = vmf.Vma;
        var pmd = vma.ReadPmd(vmf.Address);
        if (pmd.IsNone)
            return Continue(vma.Ops.Fault(vmf, PageEntrySize.Pmd), vmf);
        if (!pmd.IsHuge)
            return true;
        if (!vmf.Write || pmd.IsWritable)
            return false;
        // wp_huge_pmd: the file's huge fault handler, which on a fallback (always, for a private
        // mapping: copy-on-write is done with pages) has split the PMD; the PTE fault goes next.
        return Continue(vma.Ops.Fault(vmf, PageEntrySize.Pmd), vmf);
    }

    /// <summary>True to go on to the PTE level (the handler fell back); throws on SIGBUS.</summary>
    private static bool Continue(VmFault result, in FaultContext vmf) => result switch
    {
        VmFault.Fallback => true,
        VmFault.SigBus => throw new SigBusException($"fault at file offset {vmf.Pos} beyond EOF or without blocks", vmf.Pos),
        _ => false,
    };

    /// <summary>
    /// handle_pte_fault: a missing PTE faults in; a read-only one takes a write fault. A huge
    /// PMD that another CPU mapped since the PMD level was looked at ends the fault
    /// (<c>pmd_devmap || pmd_trans_unstable</c>: return 0), and the access retries.
    /// </summary>
    private static void HandlePteLevel(in FaultContext vmf)
    {
        var vma = vmf.Vma;
        // After a PMD fallback these reads run in the PMD handler's last step.
        vma.Seam.Access(vma.Ptl, write: false);
        if (vma.ReadPmd(vmf.Address).IsHuge)
            return;
        var pte = vma.ReadPte(vmf.Address);
        if (vmf.Write && !pte.IsWritable && vma.Shared && pte.Kind == PageKind.Device && pte.IsPresent)
        {
            // do_wp_page finds no struct page behind a DAX pfn: wp_pfn_shared.
            Continue(vma.Ops.PfnMkwrite(vmf, pte), vmf);
            return;
        }
        if (pte.IsNone || (vmf.Write && !pte.IsWritable && vma.Shared))
        {
            Continue(vma.Ops.Fault(vmf, PageEntrySize.Pte), vmf);
            return;
        }
        if (vmf.Write && !pte.IsWritable)
            WpPageCopy(vmf, pte);
    }

    /// <summary>
    /// wp_page_copy: a store to a read-only page of a private mapping copies it (device page or
    /// zero page) into a private page. The copy is one access, so a racing truncate either
    /// waits for it or is seen as a changed PTE.
    /// </summary>
    private static void WpPageCopy(in FaultContext vmf, Pte expected)
    {
        var vma = vmf.Vma;
        byte* page;
        var cpu = Tlb.BeginAccess();
        try
        {
            if (vma.ReadPte(vmf.Address) != expected)
                return;
            byte* source = expected.Kind is PageKind.ZeroPage or PageKind.HolePage ? null : vma.PageAddress(expected, vmf.Address);
            vma.Seam.AccessMemory(source, source is null ? 0 : Geometry.PageSize, write: false);
            page = VmArea.NewPrivatePage(source);
        }
        finally
        {
            Tlb.EndAccess(cpu);
        }
        vma.MapPrivateCopy(vmf.Address, expected, page);
    }
}
