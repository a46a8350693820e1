using BenchmarkDotNet.Running;
using DaxLab.RangeLocks.Benchmarks;

// `--quick`: about a minute of fixed-duration thread runs printed as Markdown tables;
// `--quick --uncontended`: only the first table, about 30 s (each cell in a child process, `--uncontended-cell`).
// Anything else goes to BenchmarkDotNet, e.g. `--filter *Uncontended*`.
if (args is ["--uncontended-cell", var subject, var mode])
    Quick.RunCell(int.Parse(subject), write: mode == "write");
else if (args.Contains("--quick"))
    Quick.Run(uncontendedOnly: args.Contains("--uncontended"));
else
    BenchmarkSwitcher.FromAssembly(typeof(Quick).Assembly).Run(args);
