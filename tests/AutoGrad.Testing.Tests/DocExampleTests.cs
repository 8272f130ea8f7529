using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace AutoGrad.Testing.Tests;

/// <summary>
/// docs/testing.md's example is a test class, not a program: its block is taken from the page verbatim, compiled with
/// Roslyn as a test project would compile it (against AutoGrad, AutoGrad.Testing, FsCheck and xunit), and its
/// <c>[Fact]</c> methods are run. All pass but <c>ABuggyRule</c>, which must fail with the message the page prints.
/// </summary>
public class DocExampleTests
{
    private const string ClassMarker = "<!-- fragment: an xunit test class; compiled by tests/AutoGrad.Testing.Tests/DocExampleTests.cs, which runs its tests -->";
    private const string MessageMarker = "<!-- message of ABuggyRule: checked by tests/AutoGrad.Testing.Tests/DocExampleTests.cs -->";
    private const string FailingTest = "ABuggyRule";

    private static readonly Lazy<Assembly> Compiled = new(() => Compile(Block(ClassMarker, "csharp")));

    private static string[] Page()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "AutoGrad.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("AutoGrad.sln not found above the test directory");
        }

        return File.ReadAllLines(Path.Combine(dir, "docs", "testing.md"));
    }

    /// <summary>The fenced block of <paramref name="language"/> on the line after <paramref name="marker"/>.</summary>
    private static string Block(string marker, string language)
    {
        var lines = Page();
        int at = Array.IndexOf(lines, marker);
        Assert.True(at >= 0, $"docs/testing.md has no line '{marker}'");
        Assert.Equal("```" + language, lines[at + 1]);
        int end = Array.FindIndex(lines, at + 2, l => l.StartsWith("```", StringComparison.Ordinal));
        return string.Join("\n", lines[(at + 2)..end]) + "\n";
    }

    private static Assembly Compile(string source)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(source, parse, path: "HuberTests.cs", encoding: Encoding.UTF8),
            CSharpSyntaxTree.ParseText(AutoGrad.Tests.Shared.ImplicitUsings.Source, parse, path: "GlobalUsings.g.cs", encoding: Encoding.UTF8),
        };
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(new[] { typeof(Tensor), typeof(GradientProperties), typeof(FsCheck.Gen<>), typeof(FactAttribute), typeof(Assert) }.Select(t => t.Assembly.Location))
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("doc_testing_example", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "docs/testing.md's test class does not compile as written:\n" + string.Join("\n", errors) + "\n\n" + source);
        return Assembly.Load(image.ToArray());
    }

    /// <summary>The page's tests, by name: found by parsing the block (compiling waits until a test runs).</summary>
    public static TheoryData<string> Facts()
    {
        var root = CSharpSyntaxTree.ParseText(Block(ClassMarker, "csharp")).GetRoot();
        var names = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>()
            .Where(m => m.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "Fact" or "FactAttribute"))
            .Select(m => m.Identifier.Text);
        return new TheoryData<string>(names);
    }

    /// <summary>Runs one of the page's tests; returns what it threw, or null.</summary>
    private static Exception? Run(string name)
    {
        var method = Compiled.Value.GetTypes().SelectMany(t => t.GetMethods()).Single(m => m.Name == name);
        try
        {
            method.Invoke(Activator.CreateInstance(method.DeclaringType!), null);
            return null;
        }
        catch (TargetInvocationException e)
        {
            return e.InnerException;
        }
    }

    [Fact]
    public void ThePageHasFourTestsOneOfThemFailing()
    {
        var compiled = Compiled.Value.GetTypes().SelectMany(t => t.GetMethods()).Where(m => m.GetCustomAttribute<FactAttribute>() is not null).Select(m => m.Name);
        Assert.Equal(["ABuggyRule", "TheMeanLossOfAPredictionAndATarget", "TheRuleAgreesWithFiniteDifferences", "TheRuleCanBeDifferentiatedAgain"], compiled.Order());
        Assert.Equal(compiled.Order(), ((IEnumerable<object[]>)Facts()).Select(row => (string)row[0]).Order());
    }

    [Theory]
    [MemberData(nameof(Facts))]
    public void ThePagesTestsPassButTheBuggyOne(string name)
    {
        var thrown = Run(name);
        if (name == FailingTest)
        {
            Assert.IsType<GradientPropertyException>(thrown);
        }
        else
        {
            Assert.True(thrown is null, $"docs/testing.md: {name} fails:\n{thrown}");
        }
    }

    [Fact]
    public void TheFailureMessageIsTheOneThePagePrints()
    {
        var message = Assert.IsType<GradientPropertyException>(Run(FailingTest)).Message;
        var expected = Block(MessageMarker, "text").TrimEnd('\n');
        Assert.Equal(expected, message);
    }
}
