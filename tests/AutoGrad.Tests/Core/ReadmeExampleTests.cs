using System.Text.RegularExpressions;
using AutoGrad.Tests.Support;
using Xunit;
using static AutoGrad.Transforms;

namespace AutoGrad.Tests.Core;

/// <summary>README's example, run as written: the code between the markers below must be README's code block verbatim.</summary>
public class ReadmeExampleTests
{
    private static readonly string[] Printed = new string[3];

    private static class Console
    {
        private static int _line;

        public static void WriteLine(object value) => Printed[_line++ % 3] = value.ToString()!;
    }

    [Fact]
    public void ReadmeExampleRunsAndGivesTheExactGradient()
    {
        // README-BEGIN
        // Any C# function of tensors: f(x) = Σ tanh(x)².
        static Tensor F(Tensor x) => (x.Tanh() * x.Tanh()).Sum();

        var x = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 });
        Tensor g = Grad(F)(x);                                // 2·tanh(x)·(1 − tanh²(x)), exactly
        Tensor h = Grad((Tensor t) => Grad(F)(t).Sum())(x);   // gradients of gradients work too
        Console.WriteLine(g);
        Console.WriteLine(h);
        Console.WriteLine(Numerical.GradCheck(F, x));         // analytic vs. central differences
        // README-END

        var expected = new[] { 0.5, -1.0, 2.0 }.Select(v => 2 * Math.Tanh(v) * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray();
        var actual = g.ToDoubleArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], actual[i], 14);
        }

        Assert.Equal(new Shape(3), h.Shape);
        Assert.StartsWith("Tensor(float64[3], cpu)", Printed[0]);
        Assert.Contains("passed", Printed[2]);
    }

    [Fact]
    public void ReadmeCodeBlockIsTheCodeThisTestRuns()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));
        var block = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var body = string.Join("\n", block.Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal))).Trim();
        var source = File.ReadAllText(Path.Combine(RepoRoot.Path, "tests", "AutoGrad.Tests", "Core", "ReadmeExampleTests.cs"));
        var region = Regex.Match(source, "// README-BEGIN\n(.*?)\n\\s*// README-END", RegexOptions.Singleline).Groups[1].Value;
        static string Normalize(string s) => string.Join("\n", s.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
        Assert.Equal(Normalize(body), Normalize(region));
        Assert.Contains("using AutoGrad;", block);
        Assert.Contains("using static AutoGrad.Transforms;", block);
    }
}
