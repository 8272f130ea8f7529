namespace AutoGrad.Cli;

/// <summary>A user error the CLI reports as one line (and exit code 1), never as a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
