using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace AutoGrad.Nn.Tests.Docs;

/// <summary>
/// The C# blocks of a documentation page as the programs a reader would paste: each block is a Program.cs of its own,
/// compiled verbatim with Roslyn against AutoGrad, AutoGrad.Nn and AutoGrad.Onnx, and run. Markers in the page (HTML comments on the
/// line before a block) say how a block is meant:
/// <list type="bullet">
/// <item><c>&lt;!-- continues --&gt;</c>: the block goes on from the previous one (appended to its program);</item>
/// <item><c>&lt;!-- fragment: why --&gt;</c>: not a program (a pattern to adapt); skipped, with the reason in the page;</item>
/// <item><c>&lt;!-- output --&gt;</c> before a <c>text</c> block after a program: lines the program must print, in order
/// ("…" stands for any text).</item>
/// </list>
/// </summary>
public static partial class DocPrograms
{
    /// <summary>A program made of one or more consecutive blocks, with the page line where it starts and what it must print.</summary>
    public sealed record Program(string Page, int Line, string Source, List<string> ExpectedOutput);

    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "AutoGrad.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("AutoGrad.sln not found above the test directory");
        }

        return dir;
    }

    /// <summary>The programs of docs/<paramref name="page"/> (or README.md), in page order; fragments are left out.</summary>
    public static List<Program> Of(string page)
    {
        var path = page == "README.md" ? Path.Combine(RepoRoot(), page) : Path.Combine(RepoRoot(), "docs", page);
        var lines = File.ReadAllLines(path);
        var programs = new List<Program>();
        string? pendingMarker = null;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (Marker().Match(line) is { Success: true } m)
            {
                pendingMarker = m.Groups[1].Value;
                continue;
            }

            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                string language = line[3..].Trim();
                int start = i + 1;
                int end = start;
                while (end < lines.Length && !lines[end].StartsWith("```", StringComparison.Ordinal))
                {
                    end++;
                }

                var body = string.Join("\n", lines[start..end]) + "\n";
                if (language == "csharp" && pendingMarker is null or "continues")
                {
                    if (pendingMarker == "continues")
                    {
                        Assert.True(programs.Count > 0, $"{page}:{i + 1}: a block marked 'continues' follows no program");
                        var previous = programs[^1];
                        programs[^1] = previous with { Source = previous.Source + body };
                    }
                    else
                    {
                        programs.Add(new Program(page, i + 1, body, []));
                    }
                }
                else if (language == "text" && pendingMarker == "output")
                {
                    Assert.True(programs.Count > 0, $"{page}:{i + 1}: an output block follows no program");
                    programs[^1].ExpectedOutput.AddRange(lines[start..end].Where(l => l.Trim().Length > 0));
                }
                else if (language == "csharp")
                {
                    Assert.StartsWith("fragment:", pendingMarker);
                    Assert.True(pendingMarker!.Length > "fragment:".Length + 3, $"{page}:{i + 1}: a fragment must say why it is one");
                }

                pendingMarker = null;
                i = end;
                continue;
            }

            if (line.Trim().Length > 0)
            {
                pendingMarker = null;
            }
        }

        return programs;
    }

    [GeneratedRegex(@"^<!--\s*(continues|output|fragment:[^>]*?)\s*-->\s*$")]
    private static partial Regex Marker();

    /// <summary>
    /// Compiles <paramref name="program"/> as Program.cs of a console app and runs it in <paramref name="workingDirectory"/>;
    /// returns what it printed. A compile error fails with the page line and Roslyn's message.
    /// </summary>
    public static string Run(Program program, string workingDirectory)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(program.Source, parse, path: "Program.cs", encoding: Encoding.UTF8);
        var implicitUsings = CSharpSyntaxTree.ParseText(AutoGrad.Tests.Shared.ImplicitUsings.Source, parse, path: "GlobalUsings.g.cs", encoding: Encoding.UTF8);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat([typeof(Tensor).Assembly.Location, typeof(AutoGrad.Nn.Layers.Mlp).Assembly.Location, typeof(AutoGrad.Onnx.OnnxExport).Assembly.Location])
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(
            $"doc_{Path.GetFileNameWithoutExtension(program.Page)}_{program.Line}",
            [tree, implicitUsings],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0,
            $"{program.Page}:{program.Line}: the block does not compile as written:\n" + string.Join("\n", errors.Select(e => e.ToString())) + "\n\n" + program.Source);

        var assembly = Assembly.Load(image.ToArray());
        var output = new StringWriter();
        var (console, directory) = (Console.Out, Environment.CurrentDirectory);
        Console.SetOut(output);
        Environment.CurrentDirectory = workingDirectory;
        try
        {
            var entry = assembly.EntryPoint!;
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        catch (TargetInvocationException e)
        {
            Assert.Fail($"{program.Page}:{program.Line}: the block throws {e.InnerException}\n\n{program.Source}");
        }
        finally
        {
            Console.SetOut(console);
            Environment.CurrentDirectory = directory;
        }

        return output.ToString();
    }

    /// <summary>
    /// Every expected line appears in the output, in order. An ellipsis "…" in an expected line stands for any text (a
    /// figure that depends on the machine's rounding), so "loss 0.…" matches "loss 0.63".
    /// </summary>
    public static void AssertPrinted(Program program, string printed)
    {
        var actual = printed.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int at = 0;
        foreach (var expected in program.ExpectedOutput)
        {
            int found = actual.FindIndex(at, l => Matches(expected, l));
            Assert.True(found >= 0, $"{program.Page}:{program.Line}: the page says the program prints\n  {expected}\nbut it printed:\n{printed}");
            at = found + 1;
        }
    }

    private static bool Matches(string expected, string line)
    {
        var parts = expected.Split('…');
        if (parts.Length == 1)
        {
            return line == expected;
        }

        if (!line.StartsWith(parts[0], StringComparison.Ordinal) || !line.EndsWith(parts[^1], StringComparison.Ordinal))
        {
            return false;
        }

        int position = parts[0].Length;
        for (int i = 1; i < parts.Length - 1; i++)
        {
            int next = line.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (next < 0)
            {
                return false;
            }

            position = next + parts[i].Length;
        }

        return line.Length - parts[^1].Length >= position;
    }
}

/// <summary>Doc programs change the process's console and working directory while they run: nothing else may run then.</summary>
[CollectionDefinition(nameof(DocProgramsCollection), DisableParallelization = true)]
public sealed class DocProgramsCollection;
