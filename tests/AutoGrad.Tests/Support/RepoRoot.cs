namespace AutoGrad.Tests.Support;

/// <summary>The repository root, found by walking up from the test binaries to AutoGrad.sln.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "AutoGrad.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("AutoGrad.sln not found above " + AppContext.BaseDirectory);
    }
}
