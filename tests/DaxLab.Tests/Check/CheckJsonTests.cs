using System.Text.Json;
using DaxLab.Cli.Check;
using DaxLab.Scenarios;

namespace DaxLab.Tests.Check;

/// <summary>`daxlab check --json` and `--replay TOKEN --json` share one shape: camelCase, a schemaVersion, CPUs as the diagrams number them, readable escaping.</summary>
public class CheckJsonTests
{
    /// <summary>A cell that fails fast, with a `->iomap_begin` step in its trace.</summary>
    private static readonly string[] FailingCell = ["--design", "v4.10", "--scenario", "write-vs-read-fault-4k", "--first-failure", "--json"];

    private static string Check(params string[] args)
    {
        var stdout = new StringWriter();
        CheckCommand.Run(args, stdout, TextWriter.Null);
        return stdout.ToString();
    }

    private static string MatrixJson() => Check(FailingCell);

    /// <summary>The replay document of the failing cell's first failure.</summary>
    private static string ReplayJson()
    {
        using var matrix = JsonDocument.Parse(MatrixJson());
        string token = matrix.RootElement.GetProperty("cells")[0].GetProperty("failures")[0].GetProperty("replay").GetString()!;
        return Check("--replay", token, "--json");
    }

    public static TheoryData<string> Documents => ["matrix", "replay"];

    private static string Document(string which) => which == "matrix" ? MatrixJson() : ReplayJson();

    /// <summary>The steps of the document's (first) failure.</summary>
    private static JsonElement Steps(JsonElement root) =>
        root.TryGetProperty("cells", out var cells) ? cells[0].GetProperty("failures")[0].GetProperty("steps") : root.GetProperty("steps");

    [Theory]
    [MemberData(nameof(Documents))]
    public void Names_are_camelCase_after_a_schemaVersion(string which)
    {
        using var document = JsonDocument.Parse(Document(which));
        var root = document.RootElement;
        Assert.Equal("schemaVersion", root.EnumerateObject().First().Name);
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        var step = Steps(root)[0];
        Assert.Equal(["cpu", "point", "notes", "preempted"], step.EnumerateObject().Select(p => p.Name).Take(4));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Cpus_count_from_1_as_the_diagram_columns_do(string which)
    {
        using var document = JsonDocument.Parse(Document(which));
        var cpus = Steps(document.RootElement).EnumerateArray().Select(s => s.GetProperty("cpu").GetInt32()).Distinct().Order();
        Assert.Equal([1, 2], cpus);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Kernel_arrows_are_written_as_they_read(string which)
    {
        string json = Document(which);
        Assert.Contains("\"->iomap_begin\"", json);
        Assert.DoesNotContain("\\u003E", json);
    }
}
