using System.CommandLine;

namespace SyncGateway.Gateway.Cli;

/// <summary>The <c>syncgateway</c> command line.</summary>
public static class SyncGatewayCli
{
    public static async Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("SyncGateway: move container images between registries and keep them in step")
        {
            SyncCommand.Create(console),
            ServeCommand.Create(console),
            VerifyCommand.Create(console),
            ProbeCommand.Create(console),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await console.Error.WriteLineAsync("Run 'syncgateway --help' for usage.").ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, cancellationToken).ConfigureAwait(false);
    }
}
