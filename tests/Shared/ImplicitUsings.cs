namespace AutoGrad.Tests.Shared;

/// <summary>
/// The global usings the SDK writes for a project with ImplicitUsings (a <c>dotnet new console</c> app, a test
/// project), as the doc tests compile a page's code with Roslyn. Linked into each test project that needs it.
/// </summary>
internal static class ImplicitUsings
{
    /// <summary>The text of the SDK's GlobalUsings.g.cs for Microsoft.NET.Sdk.</summary>
    public const string Source = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;
}
