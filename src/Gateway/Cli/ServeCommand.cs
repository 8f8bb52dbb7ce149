using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SyncGateway.Gateway.Hosting;
using SyncGateway.Gateway.Options;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Cli;

/// <summary>
/// <c>syncgateway serve</c>: the Registry V2 gateway in front of <c>gateway.source</c>, replicating
/// what it sees pushed (and reads that miss the mirror) to the rules' destinations.
/// </summary>
internal static class ServeCommand
{
    private static readonly Option<string> Config = new("--config", "-c") { Description = "the native syncgateway.yaml, with a gateway section", Required = true };
    private static readonly Option<ServeRole> Role = new("--role") { Description = "all (one process), gateway (stateless replicas that send pushes to the replicator) or replicator (the one that owns the records)", DefaultValueFactory = _ => ServeRole.All };
    private static readonly Option<string> LogFormat = new("--log-format") { Description = "text or json (one JSON object a line, with the structured fields)", DefaultValueFactory = _ => "text" };

    public static Command Create(CliConsole console)
    {
        var command = new Command("serve", "Run the Registry V2 gateway and replicate what it sees")
        {
            Config, CommonOptions.Proc, CommonOptions.Retries, CommonOptions.Records, LogFormat, Role, CommonOptions.OneShard, CommonOptions.ShardCount,
        };
        LogFormat.AcceptOnlyFromAmong("text", "json");
        command.SetAction((parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var role = parse.GetValue(Role);
        if (console.OwnsProcess)
        {
            EventLoop.PreferFor(role); // before anything in the process opens a socket
        }

        if (CommonOptions.Problems(parse, shardIndexNeeded: role != ServeRole.Gateway).ToList() is { Count: > 0 } flags)
        {
            return await ReportAsync(console, flags).ConfigureAwait(false);
        }

        SyncConfiguration configuration;
        try
        {
            configuration = ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = parse.GetValue(Config) }, Environment.GetEnvironmentVariable);
        }
        catch (ConfigurationException ex)
        {
            await console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        var options = CommonOptions.ToSyncOptions(parse, configuration, shardIndexNeeded: role != ServeRole.Gateway);
        var problems = ServeChecks.Check(parse.GetValue(Config)!, configuration, options, role).ToList();
        if (problems.Count > 0)
        {
            return await ReportAsync(console, problems).ConfigureAwait(false);
        }

        var app = GatewayHost.Build(parse.GetValue(Config)!, configuration, options, role, console.Error, json: parse.GetValue(LogFormat) == "json");
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static async Task<int> ReportAsync(CliConsole console, IReadOnlyList<string> problems)
    {
        await console.Error.WriteLineAsync($"{problems.Count} configuration error(s):").ConfigureAwait(false);
        foreach (var problem in problems)
        {
            await console.Error.WriteLineAsync("  " + problem).ConfigureAwait(false);
        }

        return ExitCodes.BadConfiguration;
    }
}
