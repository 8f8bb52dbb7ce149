using SyncGateway.Gateway.Cli;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>What one <c>syncgateway</c> invocation printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await SyncGatewayCli.InvokeAsync(args, new CliConsole(output, error, IsTerminal: false));
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
