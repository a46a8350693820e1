namespace DaxLab.RangeLocks.Tests;

/// <summary>The lock variants every shared test runs against.</summary>
public enum LockKind
{
    List,
    ListWithWholeObjectFastPath,
    Fair,
}

internal static class Locks
{
    /// <summary>Every variant, as theory data.</summary>
    public static TheoryData<LockKind> All => new() { LockKind.List, LockKind.ListWithWholeObjectFastPath, LockKind.Fair };

    public static RangeLock Create(LockKind kind) => kind switch
    {
        LockKind.List => new ListRangeLock(wholeObjectFastPath: false),
        LockKind.ListWithWholeObjectFastPath => new ListRangeLock(wholeObjectFastPath: true),
        LockKind.Fair => new FairRangeLock(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

internal static class Hang
{
    /// <summary>
    /// A hang guard, not a timing assertion: only a lost wake-up or a deadlock takes this long, and
    /// failing beats a test run that never ends. Generous so a loaded 2-core machine never trips it.
    /// </summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task<T> Guard<T>(ValueTask<T> pending, string what)
    {
        try
        {
            return await pending.AsTask().WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{what} was never granted: a lost wake-up or a deadlock.");
        }
    }
}
