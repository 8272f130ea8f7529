using System.Text.RegularExpressions;
using Xunit;

namespace AutoGrad.Tests.Support;

/// <summary>Checks that a documentation page shows, line for line, the code a test runs between two markers.</summary>
public static class DocExamples
{
    /// <summary>
    /// The region of <paramref name="testFile"/> between <c>// {marker}-BEGIN</c> and <c>// {marker}-END</c> must equal
    /// the one C# block of <paramref name="doc"/> (under docs/) that contains <paramref name="blockContains"/>,
    /// ignoring indentation and blank lines.
    /// </summary>
    public static void AssertShown(string doc, string testFile, string marker, string blockContains)
    {
        var page = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", doc));
        var source = File.ReadAllText(Path.Combine(RepoRoot.Path, "tests", "AutoGrad.Tests", testFile));
        var region = Regex.Match(source, $"// {marker}-BEGIN\n(.*?)\n\\s*// {marker}-END", RegexOptions.Singleline).Groups[1].Value;
        var block = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)
            .Single(b => b.Contains(blockContains, StringComparison.Ordinal));
        Assert.Equal(Normalize(region), Normalize(block));
    }

    private static string Normalize(string s) => string.Join("\n", s.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
}
