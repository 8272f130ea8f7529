using Xunit;

// The test classes run one after another: CliApp.Run points the error stream that CliApp.Guard writes to at the
// caller's writer through a static property, so two commands running at once in one process would swap their error
// lines. (A real process runs one command.)
[assembly: CollectionBehavior(DisableTestParallelization = true)]
