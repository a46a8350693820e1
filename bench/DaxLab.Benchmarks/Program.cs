using BenchmarkDotNet.Running;

// The engine's hot paths, one operation per invocation, next to a memcpy of the same size.
// `dotnet run -c Release --project bench/DaxLab.Benchmarks -- --filter '*'`; `daxlab bench` has the threaded workloads.
BenchmarkSwitcher.FromAssembly(typeof(DaxLab.Benchmarks.HotPaths).Assembly).Run(args);
