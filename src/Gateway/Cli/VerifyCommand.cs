using System.CommandLine;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Hosting;
using SyncGateway.Gateway.Json;
using SyncGateway.Gateway.Logging;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Options;
using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Limits;
using SyncGateway.Replicator.Engine;

namespace SyncGateway.Gateway.Cli;

/// <summary>
/// <c>syncgateway verify</c>: the migration's sign-off. The same discovery and selection as
/// <c>sync</c>, then a HEAD at the source and at each destination for every image (no manifest
/// GET, so no counted pull), and each image named as in sync, missing, different or in conflict.
/// Exit 0 only when everything is in sync, 1 otherwise, 2 for a bad configuration.
/// </summary>
internal static class VerifyCommand
{
    private static readonly Option<bool> Json = new("--json") { Description = "print the report as JSON" };
    private static readonly Option<string?> DigestsOutput = new("--output-digests") { Description = "write 'source destination digest' for every image in sync" };
    private static readonly Option<bool> NoOverwrite = new("--no-overwrite") { Description = "judge as sync --no-overwrite would: a different digest is a conflict" };

    public static Command Create(CliConsole console)
    {
        var command = new Command("verify", "Compare every image the rules name with its destinations, by digest, touching nothing")
        {
            CommonOptions.Config, CommonOptions.Auth, CommonOptions.Images, CommonOptions.DefaultRegistry, CommonOptions.DefaultNamespace,
            CommonOptions.Proc, CommonOptions.Retries, Json, DigestsOutput, NoOverwrite,
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
        foreach (var problem in problems)
        {
            await console.Error.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
        }

        if (problems.Count > 0 || await CommonOptions.LoadAsync(parse, console.Error).ConfigureAwait(false) is not { } configuration)
        {
            return ExitCodes.BadConfiguration;
        }

        if (parse.GetValue(NoOverwrite))
        {
            configuration = CommonOptions.WithoutOverwrite(configuration);
        }

        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(new TextWriterLoggerProvider(console.Error, LogLevel.Warning, time)));
        using var registries = new RegistryClientPool(
            configuration.Registries,
            time,
            DockerConfigCredentials.Load(DockerConfigCredentials.DefaultPath()),
            new RegistryLimitsBook(time, new RegistryLimitReporter(configuration, loggers.CreateLogger("SyncGateway.Registries"))));
        using var engine = new ReplicationEngine(CommonOptions.ToSyncOptions(parse, configuration) with { RecordsPath = null }, null, time, loggers);
        var keepInSync = parse.GetValue(Json) || parse.GetValue(DigestsOutput) is not null;
        var report = await engine.VerifyAsync(configuration, registries, keepInSync, cancellationToken).ConfigureAwait(false);

        await console.Out.WriteAsync(parse.GetValue(Json) ? JsonReport(report) : TextReport(report)).ConfigureAwait(false);
        await console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (parse.GetValue(DigestsOutput) is { } digests)
        {
            await SummaryWriter.WriteDigestsAsync(digests, report.Results.Where(r => r.Status == VerifyStatus.InSync).Select(r => (r.Task, r.SourceDigest!.Value))).ConfigureAwait(false);
        }

        return report.ExitCode;
    }

    private static string TextReport(VerifyReport report)
    {
        var text = new StringBuilder().AppendLine(
            $"Verified {report.Images} images: in sync {report.Count(VerifyStatus.InSync)}, missing {report.Count(VerifyStatus.Missing)}, "
            + $"different {report.Count(VerifyStatus.Different)}, conflicts {report.Count(VerifyStatus.Conflict)}, failed {report.Count(VerifyStatus.Failed)}, "
            + $"failed to generate {report.PlanFailures.Count} ({report.Duration.TotalSeconds:0.0}s)");
        foreach (var result in report.Results.Where(r => r.Status != VerifyStatus.InSync))
        {
            var detail = result.Status switch
            {
                VerifyStatus.Missing => $"missing (the source is at {result.SourceDigest})",
                VerifyStatus.Different => $"different: the destination is at {result.DestinationDigest}, the source at {result.SourceDigest}",
                VerifyStatus.Conflict => $"conflict: the destination is at {result.DestinationDigest}, the source at {result.SourceDigest} (overwrite is off)",
                _ => $"failed: {result.Error}",
            };
            text.AppendLine($"  {result.Task.Source} -> {result.Task.Destination}: {detail}");
        }

        foreach (var result in report.Results.Where(r => r.Status == VerifyStatus.InSync && r.RewrittenFrom is not null))
        {
            text.AppendLine($"  {result.Task.Source} -> {result.Task.Destination}: in sync, the index rewritten for the rule's platforms ({result.RewrittenFrom} became {result.DestinationDigest})");
        }

        foreach (var failure in report.PlanFailures)
        {
            text.AppendLine($"  failed to generate {failure.Rule}: {failure.Reason}");
        }

        return text.ToString();
    }

    private static string JsonReport(VerifyReport report) => JsonSerializer.Serialize(
        new VerifyJsonReport(
            InSync: report.ExitCode == 0,
            Counts: Enum.GetValues<VerifyStatus>().ToDictionary(s => JsonNamingPolicy.CamelCase.ConvertName(s.ToString()), report.Count),
            Images: report.Results.Select(r => new VerifyJsonReport.Image(
                Source: r.Task.Source.ToString(),
                Destination: r.Task.Destination.ToString(),
                Status: JsonNamingPolicy.CamelCase.ConvertName(r.Status.ToString()),
                SourceDigest: r.SourceDigest?.ToString(),
                DestinationDigest: r.DestinationDigest?.ToString(),
                RewrittenFrom: r.RewrittenFrom?.ToString(),
                Error: r.Error)),
            FailedToGenerate: report.PlanFailures.Select(f => new VerifyJsonReport.PlanFailure(f.Rule, f.Reason))),
        GatewayJsonContext.Indented.VerifyJsonReport) + "\n";
}
