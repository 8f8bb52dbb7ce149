using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SyncGateway.Gateway.Json;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Replication;
using SyncGateway.Gateway.Options;
using Microsoft.Extensions.DependencyInjection;
using SyncGateway.Registry.Client;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Gateway.Status;

/// <summary>
/// <c>/healthz</c> (the process answers), <c>/readyz</c> (records open, and the source or the
/// mirror reachable: a down source must not take the gateway out of service while the mirror can
/// serve) and <c>/api/status</c> (upstreams, rules, last reconciliation, queue, recent failures).
/// </summary>
internal static class StatusEndpoints
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static void MapStatus(this IEndpointRouteBuilder app, ServeRole role)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (HttpContext context, LiveConfiguration live) =>
        {
            using var lease = live.Lease();
            var (configuration, registries) = (lease.Generation.Configuration, lease.Generation.Registries);
            // A gateway replica keeps no records: its readiness is its upstreams'.
            var records = context.RequestServices.GetService<RecordStore>();
            var recordsOpen = records is null || await RecordsOpenAsync(records, context.RequestAborted).ConfigureAwait(false);
            var upstreams = await ProbeAsync(configuration, registries, context.RequestAborted).ConfigureAwait(false);
            var ready = recordsOpen && upstreams.Values.Any(up => up);
            return Results.Json(
                new ReadinessDocument(ready, recordsOpen, upstreams.GroupBy(u => u.Key.Role).ToDictionary(g => g.Key, g => g.Any(u => u.Value))),
                GatewayJsonContext.Http.ReadinessDocument,
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/api/status", async (HttpContext context, LiveConfiguration live) =>
        {
            using var lease = live.Lease();
            var (configuration, registries) = (lease.Generation.Configuration, lease.Generation.Registries);
            var records = context.RequestServices.GetService<RecordStore>();
            var upstreams = await ProbeAsync(configuration, registries, context.RequestAborted).ConfigureAwait(false);
            var queued = records is null ? [] : await records.Queue.QueuedAsync(100, context.RequestAborted).ConfigureAwait(false);
            var depth = records is null ? 0 : await records.Queue.DepthAsync(context.RequestAborted).ConfigureAwait(false);
            var failures = records is null ? [] : await records.RecentFailuresAsync(20, context.RequestAborted).ConfigureAwait(false);
            var last = context.RequestServices.GetService<ReconcileState>()?.Last;
            var shard = context.RequestServices.GetRequiredService<SyncOptions>().Shard;
            return Results.Json(
                new StatusDocument(
                    Role: role.ToString().ToLowerInvariant(),
                    Shard: shard.IsWhole ? null : new(shard.Index, shard.Count),
                    Upstreams: upstreams.Select(u => new StatusDocument.UpstreamPart(u.Key.Role, u.Key.Host, u.Value)),
                    Rules: configuration.Rules.Select(r => new StatusDocument.RulePart(r.Key, r.Source.Name, r.Tags.ToString(), r.Destinations.Select(d => d.ToString()), r.Overwrite))
                        .Concat(configuration.PatternRules.Select(p => new StatusDocument.RulePart(p.Key, p.Pattern.Source, p.Tags.ToString(), p.Templates.Select(t => t.Text), p.Overwrite))),
                    LastSync: last is { } l ? new(l.At, l.Synced, l.InSync, l.Failed, l.Conflicts) : null,
                    Queue: new(depth, queued.Select(q => new StatusDocument.QueueItemPart(q.Source, q.Destination, q.Cause, q.EnqueuedAt, q.Attempts, q.LastError))),
                    RecentFailures: failures),
                GatewayJsonContext.Http.StatusDocument);
        });
    }

    private static async Task<bool> RecordsOpenAsync(RecordStore records, CancellationToken cancellationToken)
    {
        try
        {
            await records.Queue.DepthAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return false;
        }
    }

    /// <summary>Whether the source and the mirror answer <c>/v2/</c> at all (any HTTP status means reachable).</summary>
    private static async Task<Dictionary<(string Role, string Host), bool>> ProbeAsync(SyncConfiguration configuration, RegistryClientPool registries, CancellationToken cancellationToken)
    {
        var gateway = configuration.Gateway!;
        var targets = gateway.Sources.Select(s => (Role: "source", Host: s.Source))
            .Concat(gateway.Sources.Where(s => s.Mirror is not null).Select(s => (Role: "mirror", Host: s.Mirror!)))
            .Distinct()
            .ToList();

        var answers = await Task.WhenAll(targets.Select(async target =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            try
            {
                var client = registries.Get(target.Host, string.Empty);
                using var request = new HttpRequestMessage(HttpMethod.Get, client.BaseUri);
                using var response = await client.Forwarding.SendAsync(request, timeout.Token).ConfigureAwait(false);
                return (target, true);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or Registry.Errors.RegistryException)
            {
                return (target, false);
            }
        })).ConfigureAwait(false);
        return answers.ToDictionary(a => a.target, a => a.Item2);
    }
}
