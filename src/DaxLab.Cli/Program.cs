using System.Runtime.InteropServices;
using DaxLab.Cli;
using DaxLab.Io;

var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
var buffering = Console.IsOutputRedirected ? CBuffering.Full : CBuffering.Line;
int status = TopLevel.Run(args, stdout, stderr, buffering, out IoDeath death, stderrIsTerminal: !Console.IsErrorRedirected);
if (death != IoDeath.None)
    SignalDeath.Die(death, status);
return status;

/// <summary>
/// Ends the process the way xfs_io ends on SIGBUS or SIGSEGV: killed by that signal, so the shell
/// reports it (status 135 or 139, and "Bus error" / "Segmentation fault") with nothing more printed.
/// </summary>
static partial class SignalDeath
{
    const int SIGBUS = 7;
    const int SIGSEGV = 11;
    static readonly nint SIG_DFL = 0;

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "raise")]
    private static partial int Raise(int signal);

    /// <summary>Restores the default action (the .NET runtime handles these signals) and raises it; exits with the shell's status if that returns.</summary>
    public static void Die(IoDeath death, int fallbackStatus)
    {
        int signal = death == IoDeath.SigBus ? SIGBUS : SIGSEGV;
        Signal(signal, SIG_DFL);
        Raise(signal);
        Environment.Exit(fallbackStatus);
    }
}
