using Xunit;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// Every C# block of README.md and docs/*.md compiles verbatim, as a reader would paste it into Program.cs, runs, and
/// prints what the page says it prints.
/// </summary>
[Collection(nameof(DocProgramsCollection))]
public class DocProgramTests
{
    public static TheoryData<string, int> Programs()
    {
        var data = new TheoryData<string, int>();
        // Every page: README.md and all of docs/*.md. A block that is not a program says so in its page (a fragment marker).
        var pages = Directory.GetFiles(Path.Combine(DocPrograms.RepoRoot(), "docs"), "*.md").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal);
        foreach (var page in pages.Prepend("README.md"))
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
