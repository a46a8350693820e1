using DaxLab.Base;

namespace DaxLab.Sync;

/// <summary>
/// A jbd2 journal with one running transaction: handles (jbd2__journal_start /
/// jbd2_journal_stop) and the commit that waits for them, with the rules that make a journal
/// handle a lock (fs/jbd2/transaction.c, commit.c).
/// </summary>
/// <remarks>
/// <para>The rules, as jbd2 has them:</para>
/// <list type="bullet">
/// <item><b>Nesting</b>: a task that already holds a handle (current->journal_info) gets the
/// same handle back with one more reference; a nested start reserves no credits and never waits,
/// and only the outermost stop ends the handle. A handle is the task's, never passed on.</item>
/// <item><b>Starting waits</b> (start_this_handle's repeat loop): while the running transaction
/// is locked for commit (T_LOCKED, wait_transaction_locked), and when its outstanding credits
/// plus the new handle's would pass the journal's limit (add_transaction_credits: the start asks
/// for a commit, jbd2_log_start_commit, and waits for it).</item>
/// <item><b>A commit waits for every open handle</b> (jbd2_journal_commit_transaction: lock the
/// transaction, then jbd2_journal_wait_updates until t_updates is 0).</item>
/// </list>
/// <para>So a held handle is a read hold of "the journal may commit" and a commit its write
/// hold: lockdep's j_trans_commit_map, the class <see cref="HandleClass"/>. A start announces a
/// read acquisition of it (a nested start announces nothing, as jbd2 returns before
/// rwsem_acquire_read) and a commit a write acquisition, so the checker's lockdep sees
/// "jbd2_handle → entry lock" against "entry lock → jbd2_handle" even when no schedule deadlocks.</para>
/// <para>kjournald2 is not a CPU of its own: the commit runs as soon as its transaction is locked
/// and has no open handle, in the step that made that so (the last stop, or the commit request
/// when none is open), and it writes nothing to the device (DaxLab's metadata log is the XFS-like
/// one underneath). Every handle is charged its whole reservation until the commit (jbd2 gives
/// back the credits a handle did not use; DaxLab counts no buffers), which can only make a
/// credit wait come sooner.</para>
/// <para>Lock rules: the transaction state is guarded by <see cref="gate"/> on real threads (a
/// leaf, held only to test and change it or to sleep on it); under a scheduler one CPU runs at a
/// time and sleeps are the scheduler's. Order: a handle is started after i_rwsem, mmap_lock and
/// i_mmap_sem, and before the entry lock (the order fb26a1cbed8c restored; docs/designs.md).</para>
/// </remarks>
public sealed class Journal
{
    /// <summary>lockdep's class of the journal's handles: jbd2's j_trans_commit_map, which lockdep prints as jbd2_handle.</summary>
    public static readonly LockClass HandleClass = new("jbd2_handle");

    /// <summary>On real threads, the monitor guarding the transaction state and the sleepers' queue.</summary>
    private readonly object gate = new();
    private readonly IScheduler? modelScheduler;

    /// <summary>The scheduler, or null on real threads; a constant null when the seam is compiled out.</summary>
    private IScheduler? scheduler => Seam.CompiledOut ? null : modelScheduler;

    /// <summary>current->journal_info: the handle each task holds. One journal per mount, so per journal is per task.</summary>
    private readonly ThreadLocal<JournalHandle?> current = new();

    /// <summary>j_running_transaction->t_tid.</summary>
    private long runningTid = 1;
    /// <summary>j_commit_sequence: the last transaction committed.</summary>
    private long committedTid;
    /// <summary>T_LOCKED: a commit was asked for; no new handle joins the transaction.</summary>
    private bool locked;
    /// <summary>t_updates: handles open in the running transaction.</summary>
    private int updates;
    /// <summary>t_outstanding_credits: credits reserved in the running transaction.</summary>
    private int outstandingCredits;

    internal Journal(Seam seam, string name, int maxCredits)
    {
        if (maxCredits <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxCredits), "a journal holds at least one credit per transaction");
        modelScheduler = seam.Scheduler;
        Name = name;
        MaxCredits = maxCredits;
    }

    public string Name { get; }

    /// <summary>j_max_transaction_buffers: the credits one transaction may reserve.</summary>
    public int MaxCredits { get; }

    /// <summary>journal_current_handle(): the handle the calling task holds, or null.</summary>
    public JournalHandle? CurrentHandle => current.Value;

    /// <summary>The running transaction's id.</summary>
    public long RunningTid => Volatile.Read(ref runningTid);

    /// <summary>The last committed transaction's id (0 before the first commit).</summary>
    public long CommittedTid => Volatile.Read(ref committedTid);

    /// <summary>Whether the running transaction is locked for commit: new handles wait.</summary>
    public bool IsLocked => Volatile.Read(ref locked);

    /// <summary>t_updates: the handles open in the running transaction.</summary>
    public int OpenHandles => Volatile.Read(ref updates);

    /// <summary>
    /// jbd2__journal_start: the task's handle again if it holds one (nested), else a new handle
    /// of <paramref name="credits"/> in the running transaction, once the transaction is not
    /// locked and the credits fit. <paramref name="point"/> names the caller (ext4_journal_start).
    /// </summary>
    public JournalHandle Start(int credits, string point)
    {
        if (current.Value is { } running)
        {
            running.Nest();
            if (scheduler is not null)
                Note($"{point} - nests in the task's handle (t_updates {updates})");
            return running;
        }
        if (credits <= 0 || credits > MaxCredits)
            throw new ArgumentOutOfRangeException(nameof(credits), $"a handle reserves 1 to {MaxCredits} credits, not {credits}");
        scheduler?.Reschedule(point);
        scheduler?.LockAcquire(this, HandleClass, LockUse.Read, point);
        EnterGate();
        try
        {
            long tid = StartThisHandle(credits);
            var handle = new JournalHandle(this, tid, credits);
            current.Value = handle;
            return handle;
        }
        finally
        {
            ExitGate();
        }
    }

    /// <summary>start_this_handle's repeat loop; returns the transaction joined. Context: the gate.</summary>
    private long StartThisHandle(int credits)
    {
        while (true)
        {
            Touch();
            if (locked)
            {
                // wait_transaction_locked: a commit is under way, its handles must drain first.
                Sleep("wait_transaction_locked");
                continue;
            }
            if (outstandingCredits + credits > MaxCredits)
            {
                // add_transaction_credits: the transaction is full; ask for its commit and wait.
                Note($"start_this_handle - {outstandingCredits} + {credits} credits > {MaxCredits}: commit T{runningTid} first");
                LockForCommit();
                if (locked)
                    Sleep("jbd2_log_wait_commit");
                continue;
            }
            updates++;
            outstandingCredits += credits;
            Note($"start_this_handle - handle in T{runningTid} (t_updates {updates})");
            return runningTid;
        }
    }

    /// <summary>
    /// jbd2_journal_stop: drops one reference; the outermost stop ends the handle, and the last
    /// handle of a locked transaction lets its commit run.
    /// </summary>
    public void Stop(JournalHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!ReferenceEquals(current.Value, handle))
            throw new InvalidOperationException("jbd2_journal_stop of a handle the calling task does not hold");
        if (handle.Unnest())
            return;
        current.Value = null;
        EnterGate();
        try
        {
            Touch();
            Invariant.Holds(updates > 0 && handle.Tid == runningTid, "a handle stops in the transaction it joined, which cannot commit before it stops");
            updates--;
            Note($"jbd2_journal_stop - T{runningTid} t_updates {updates}");
            if (updates == 0 && locked)
                CommitLocked();
        }
        finally
        {
            ExitGate();
        }
        scheduler?.LockRelease(this);
    }

    /// <summary>
    /// What ext4_sync_file's jbd2_complete_transaction asks of the journal: commit the running
    /// transaction if it holds anything, and wait until it is committed. Waits for every open
    /// handle; a task that holds one waits for itself, which lockdep reports as recursion.
    /// </summary>
    public void CommitRunning(string point)
    {
        scheduler?.Reschedule(point);
        scheduler?.LockAcquire(this, HandleClass, LockUse.Write, "jbd2_journal_commit_transaction");
        EnterGate();
        try
        {
            Touch();
            if (updates == 0 && outstandingCredits == 0 && !locked)
            {
                Note($"{point} - T{runningTid} is empty, nothing to commit");
                return;
            }
            long target = runningTid;
            LockForCommit();
            while (committedTid < target)
            {
                Sleep("jbd2_log_wait_commit");
                Touch();
            }
        }
        finally
        {
            ExitGate();
            scheduler?.LockRelease(this);
        }
    }

    /// <summary>
    /// jbd2_log_start_commit and the commit's first step: lock the running transaction, and
    /// commit at once if no handle is open. Context: the gate.
    /// </summary>
    private void LockForCommit()
    {
        if (!locked)
        {
            locked = true;
            Note($"jbd2_journal_commit_transaction - T{runningTid} locked, waits for {updates} handle(s)");
        }
        if (updates == 0)
            CommitLocked();
    }

    /// <summary>The commit of a locked transaction without handles; a new transaction runs. Context: the gate.</summary>
    private void CommitLocked()
    {
        Invariant.Holds(locked && updates == 0, "only a locked transaction without open handles commits");
        committedTid = runningTid;
        runningTid++;
        locked = false;
        outstandingCredits = 0;
        Note($"jbd2_journal_commit_transaction - T{committedTid} committed");
        WakeAll();
    }

    /// <summary>Every test and change of the transaction state is a write for the checker: they do not commute.</summary>
    private void Touch() => scheduler?.Access(this, write: true);

    private void Note(string what) => scheduler?.Note(what);

    private void EnterGate()
    {
        if (scheduler is null)
            Monitor.Enter(gate);
    }

    private void ExitGate()
    {
        if (scheduler is null)
            Monitor.Exit(gate);
    }

    /// <summary>Sleeps until the state changes. Context: the gate on real threads, kept across the sleep by Monitor.Wait.</summary>
    private void Sleep(string point)
    {
        if (scheduler is { } model)
            model.Block(this, point);
        else
            Monitor.Wait(gate);
    }

    /// <summary>Wakes every sleeper; each re-checks. Context: the gate on real threads.</summary>
    private void WakeAll()
    {
        if (scheduler is { } model)
            model.Wake(this);
        else
            Monitor.PulseAll(gate);
    }

    public override string ToString() => $"journal {Name} (T{runningTid}{(locked ? " locked for commit" : "")}, {updates} handle(s))";
}

/// <summary>
/// A jbd2 handle (handle_t): the task's membership in one transaction, with a reference count
/// for nested starts. Only the journal changes it, and only from the task that holds it.
/// </summary>
public sealed class JournalHandle
{
    private int refs = 1;

    internal JournalHandle(Journal journal, long tid, int credits)
    {
        Journal = journal;
        Tid = tid;
        Credits = credits;
    }

    public Journal Journal { get; }

    /// <summary>The transaction this handle belongs to.</summary>
    public long Tid { get; }

    /// <summary>The credits the outermost start reserved.</summary>
    public int Credits { get; }

    /// <summary>h_ref: starts not yet matched by a stop.</summary>
    public int References => refs;

    internal void Nest() => refs++;

    /// <summary>Drops one reference; true while references remain (an inner stop).</summary>
    internal bool Unnest()
    {
        Invariant.Holds(refs > 0, "jbd2_journal_stop of a handle already stopped");
        return --refs > 0;
    }
}
