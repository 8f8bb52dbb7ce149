using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SyncGateway.Gateway.Cli;
using SyncGateway.Gateway.Hosting;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Serve;

/// <summary>
/// <c>syncgateway serve</c>: the Registry V2 gateway in front of <c>gateway.source</c>, replicating
/// what it sees pushed (and reads that miss the mirror) to the rules' destinations.
/// </summary>
internal static class ServeCommand
{
    private static readonly Option<string> Config = new("--config", "-c") { Description = "the native syncgateway.yaml, with a gateway section", Required = true };
    private static readonly Option<int> Proc = new("--proc", "-p") { Description = "images and blob transfers at once", DefaultValueFactory = _ => ReplicatorSettings.DefaultConcurrency };
    private static readonly Option<int> Retries = new("--retries", "-r") { Description = "retries of a failed blob copy or manifest push", DefaultValueFactory = _ => ReplicatorSettings.DefaultRetries };
    private static readonly Option<string?> Records = new("--records") { Description = $"the SQLite records file (default {ReplicatorSettings.DefaultRecords})" };
    private static readonly Option<ServeRole> Role = new("--role") { Description = "all (one process), gateway (stateless replicas that send pushes to the replicator) or replicator (the one that owns the records)", DefaultValueFactory = _ => ServeRole.All };
    private static readonly Option<string> LogFormat = new("--log-format") { Description = "text or json (one JSON object a line, with the structured fields)", DefaultValueFactory = _ => "text" };

    public static Command Create(CliConsole console)
    {
        var command = new Command("serve", "Run the Registry V2 gateway and replicate what it sees")
        {
            Config, Proc, Retries, Records, LogFormat, Role,
        };
        LogFormat.AcceptOnlyFromAmong("text", "json");
        command.SetAction((parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
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

        if (configuration.Gateway?.Source is null)
        {
            await console.Error.WriteLineAsync($"{parse.GetValue(Config)}: gateway.source: is required for serve (the registry the gateway fronts)").ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        var role = parse.GetValue(Role);
        if (role == ServeRole.Gateway && (configuration.Gateway.Replicator is null || configuration.Gateway.WebhookSecret is null))
        {
            await console.Error.WriteLineAsync($"{parse.GetValue(Config)}: gateway.replicator and webhooks.secret: are both required for --role gateway (where pushes are sent, and the secret they carry)").ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        var options = new SyncOptions
        {
            Concurrency = parse.GetResult(Proc) is { Implicit: false } ? parse.GetValue(Proc) : configuration.Replicator.Concurrency,
            Retries = parse.GetResult(Retries) is { Implicit: false } ? parse.GetValue(Retries) : configuration.Replicator.Retries,
            RecordsPath = parse.GetValue(Records) ?? configuration.Replicator.Records,
        };

        var app = GatewayHost.Build(parse.GetValue(Config)!, configuration, options, role, console.Error, json: parse.GetValue(LogFormat) == "json");
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
