using Xunit;

// The CLI runs in-process and reports errors through one process-wide stream (CliApp's error writer, set by each run):
// two test classes running at once would read each other's errors. The CLI's tests therefore run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
