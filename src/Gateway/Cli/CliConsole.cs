namespace SyncGateway.Gateway.Cli;

/// <summary>
/// Where a command writes: its results, its diagnostics, and whether a person watches live.
/// <paramref name="OwnsProcess"/> says the command is the process's own (the executable's entry
/// point), so it may tune the runtime for itself (<see cref="Hosting.EventLoop"/>); a command run
/// inside another program (the tests run them in theirs) leaves that program's runtime as it is.
/// </summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal, bool OwnsProcess = false);
