using BenchmarkDotNet.Running;
using DaxLab.RangeLocks.Benchmarks;

// `--quick`: about a minute of fixed-duration thread runs printed as Markdown tables.
// Anything else goes to BenchmarkDotNet, e.g. `--filter *Uncontended*`.
if (args.Contains("--quick"))
    Quick.Run();
else
    BenchmarkSwitcher.FromAssembly(typeof(Quick).Assembly).Run(args);
