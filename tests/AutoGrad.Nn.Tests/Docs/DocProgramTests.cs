using Xunit;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// Every C# block of the pages listed here compiles verbatim, as a reader would paste it into Program.cs, runs, and
/// prints what the page says it prints.
/// </summary>
[Collection(nameof(DocProgramsCollection))]
public class DocProgramTests
{
    public static TheoryData<string, int> Programs()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in new[] { "README.md", "tutorial.md", "debugging.md", "transforms.md", "optimizers.md", "gpu.md" })
        {
            foreach (var program in DocPrograms.Of(page))
            {
                data.Add(page, program.Line);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void TheBlockCompilesAsWrittenRunsAndPrintsWhatThePageSays(string page, int line)
    {
        var program = DocPrograms.Of(page).Single(p => p.Line == line);
        var directory = Directory.CreateTempSubdirectory("autograd-doc-").FullName;
        try
        {
            DocPrograms.AssertPrinted(program, DocPrograms.Run(program, directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ThePagesHaveProgramsToRun()
    {
        Assert.True(DocPrograms.Of("debugging.md").Count >= 3);
    }
}
