using DaxLab.Cli.Bench;

if (args.Length > 0 && args[0] == "bench")
{
    CostTable.Print(CostTable.Measure(), Console.Out);
    return 0;
}
Console.Error.WriteLine("usage: daxlab bench");
return 2;
