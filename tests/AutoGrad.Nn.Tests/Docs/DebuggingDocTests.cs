using Xunit;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// docs/debugging.md beyond its programs (which <see cref="DocProgramTests"/> compiles and runs as written): the pictures
/// it shows exist, each beside the command that drew it.
/// </summary>
public class DebuggingDocTests
{
    [Fact]
    public void TheCommandsThatDrewThePicturesAreShownBesideThem()
    {
        var page = File.ReadAllText(Path.Combine(DocPrograms.RepoRoot(), "docs", "debugging.md"));
        foreach (var image in new[] { "seed-mlp-graph.png", "seed-mlp-backward.png" })
        {
            Assert.Contains($"](images/{image})", page);
            Assert.Contains($"--output docs/images/{image}", page);
            Assert.True(File.Exists(Path.Combine(DocPrograms.RepoRoot(), "docs", "images", image)), $"docs/images/{image} is missing");
        }
    }
}
