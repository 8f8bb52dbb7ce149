using System.CommandLine;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Hosting;
using SyncGateway.Gateway.Logging;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Options;
using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Limits;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Gateway.Cli;

/// <summary>
/// <c>syncgateway sync</c>: the one-shot bulk sync, with image-syncer's flags, names and defaults.
/// Exit 0 when everything is at its destination, 1 when some images failed, 2 for a bad
/// configuration or arguments (then nothing was touched).
/// </summary>
internal static class SyncCommand
{
    private static readonly Option<string[]> Os = new("--os") { Description = "copy only these OSes of a multi-arch index (rewrites the index: its digest changes)", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<string[]> Arch = new("--arch") { Description = "copy only these architectures of a multi-arch index (rewrites the index: its digest changes)", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<bool> Force = new("--force") { Description = "push manifests even when the destination already has the digest" };
    private static readonly Option<string?> Log = new("--log") { Description = "write log lines to this file instead of the terminal" };
    private static readonly Option<string?> SuccessOutput = new("--output-success-images") { Description = "write the images that synced to this file" };
    private static readonly Option<string?> FailedOutput = new("--output-failed-images") { Description = "write the images that failed to this file, to retry them with --images" };
    private static readonly Option<string> OutputFormat = new("--output-images-format") { Description = "yaml or json", DefaultValueFactory = _ => "yaml" };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "print the plan and touch nothing" };
    private static readonly Option<bool> NoOverwrite = new("--no-overwrite") { Description = "leave a destination tag that has another digest alone, as a conflict (overwrite: false for every rule)" };
    private static readonly Option<string?> DigestsOutput = new("--output-digests") { Description = "write 'source destination digest' for every image synced or found in sync" };

    public static Command Create(CliConsole console)
    {
        OutputFormat.AcceptOnlyFromAmong("yaml", "json");
        var command = new Command("sync", "Copy every image the rules name to its destinations, then exit")
        {
            CommonOptions.Config, CommonOptions.Auth, CommonOptions.Images, CommonOptions.Proc, CommonOptions.Retries, Os, Arch, Force, Log, CommonOptions.DefaultRegistry, CommonOptions.DefaultNamespace,
            SuccessOutput, FailedOutput, OutputFormat, CommonOptions.Records, DryRun, NoOverwrite, DigestsOutput, CommonOptions.OneShard, CommonOptions.ShardCount,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        if (console.OwnsProcess)
        {
            EventLoop.Prefer(); // before anything in the process opens a socket
        }

        var time = TimeProvider.System;
        var problems = CommonOptions.Problems(parse).ToList();
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await console.Error.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
            }

            return ExitCodes.BadConfiguration;
        }

        if (await CommonOptions.LoadAsync(parse, console.Error).ConfigureAwait(false) is not { } configuration)
        {
            return ExitCodes.BadConfiguration;
        }

        if (parse.GetValue(NoOverwrite))
        {
            configuration = CommonOptions.WithoutOverwrite(configuration);
        }

        var options = CommonOptions.ToSyncOptions(parse, configuration) with
        {
            Force = parse.GetValue(Force),
            Platforms = new PlatformFilter(Split(parse.GetValue(Os)), Split(parse.GetValue(Arch))),
        };
        if (parse.GetValue(DryRun))
        {
            options = options with { RecordsPath = null };
        }

        // Successes are kept only for the files that list them: a 10,000-image run stays small.
        options = options with { KeepSucceeded = parse.GetValue(SuccessOutput) is not null || parse.GetValue(DigestsOutput) is not null };

        // Opened first: records that cannot be opened are bad input, and then nothing is touched.
        RecordStore? records = null;
        try
        {
            records = options.RecordsPath is null ? null : RecordStore.Open(options.RecordsPath, time);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            await console.Error.WriteLineAsync($"error: --records: {options.RecordsPath} cannot be opened: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        using var recordsOpen = records;

        var logPath = parse.GetValue(Log) is { } logTo ? CommonOptions.ForShard(logTo, options.Shard) : null;
        await using var logFile = logPath is null ? null : new StreamWriter(logPath, append: true);
        var live = console.IsTerminal && logPath is null;
        using var loggers = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Information);
            builder.AddProvider(new TextWriterLoggerProvider(logFile ?? console.Error, live ? LogLevel.Warning : LogLevel.Information, time));
        });

        using var registries = new RegistryClientPool(
            configuration.Registries,
            time,
            DockerConfigCredentials.Load(DockerConfigCredentials.DefaultPath()),
            new RegistryLimitsBook(time, new RegistryLimitReporter(configuration, loggers.CreateLogger("SyncGateway.Registries"))));
        using var engine = new ReplicationEngine(options, records, time, loggers);

        if (parse.GetValue(DryRun))
        {
            var plan = await engine.PlanAsync(configuration, registries, cancellationToken).ConfigureAwait(false);
            await SummaryWriter.WritePlanAsync(console.Out, plan, options.Shard).ConfigureAwait(false);
            return plan.Failures.Count == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
        }

        var stats = new TransferStats();
        SyncSummary summary;
        await using (var display = new ProgressDisplay(console.Error, stats, time, live))
        {
            summary = await engine.RunAsync(configuration, registries, stats, display, cancellationToken).ConfigureAwait(false);
        }

        var shard = options.Shard;
        await SummaryWriter.WriteAsync(console.Out, summary, shard).ConfigureAwait(false);
        var format = parse.GetValue(OutputFormat)!;
        if (parse.GetValue(SuccessOutput) is { } successFile)
        {
            await SummaryWriter.WriteImagesAsync(CommonOptions.ForShard(successFile, shard), summary.Results.Where(r => r.Status is SyncStatus.Synced or SyncStatus.AlreadyInSync), format, shard).ConfigureAwait(false);
        }

        if (parse.GetValue(FailedOutput) is { } failedFile)
        {
            await SummaryWriter.WriteFailedImagesAsync(CommonOptions.ForShard(failedFile, shard), summary, format, shard).ConfigureAwait(false);
        }

        if (parse.GetValue(DigestsOutput) is { } digestsFile)
        {
            await SummaryWriter.WriteDigestsAsync(CommonOptions.ForShard(digestsFile, shard), summary.Results.Where(r => r.Status is SyncStatus.Synced or SyncStatus.AlreadyInSync), shard).ConfigureAwait(false);
        }

        return summary.ExitCode;
    }

    private static string[] Split(string[]? values) =>
        values is null ? [] : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
}
