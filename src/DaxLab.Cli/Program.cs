Console.Error.WriteLine("daxlab: no command yet"); return 2;
