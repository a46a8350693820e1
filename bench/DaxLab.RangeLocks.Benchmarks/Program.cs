using BenchmarkDotNet.Running;
using DaxLab.RangeLocks.Benchmarks;

// `--quick`: about 80 s of fixed-duration thread runs printed as Markdown tables;
// `--quick --uncontended`: only the first table, about 30 s (each cell in a child process, `--uncontended-cell`).
// Anything else goes to BenchmarkDotNet, e.g. `--filter *Uncontended*`.
if (args is ["--uncontended-cell", ..])
{
    int count = Subject.Uncontended().Length;
    if (args is not [_, var subject, "read" or "write"] || !int.TryParse(subject, out int index) || index < 0 || index >= count)
    {
        Console.Error.WriteLine($"usage: --uncontended-cell SUBJECT read|write (SUBJECT 0 to {count - 1}); --quick runs every cell");
        return 2;
    }
    Quick.RunCell(index, write: args[2] == "write");
}
else if (args.Contains("--quick"))
    Quick.Run(uncontendedOnly: args.Contains("--uncontended"));
else
    BenchmarkSwitcher.FromAssembly(typeof(Quick).Assembly).Run(args);
return 0;
