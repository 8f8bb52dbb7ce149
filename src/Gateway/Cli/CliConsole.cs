namespace SyncGateway.Gateway.Cli;

/// <summary>Where a command writes: its results, its diagnostics, and whether a person watches live.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal);
