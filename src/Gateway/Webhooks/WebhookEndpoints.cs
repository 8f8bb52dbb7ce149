using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Json;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Proxy;
using SyncGateway.Gateway.Replication;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Queue;

namespace SyncGateway.Gateway.Webhooks;

/// <summary>
/// Registry notifications: the CNCF distribution registry's <c>events</c> envelope and Harbor's
/// push event. Both need <c>Authorization: Bearer &lt;webhooks.secret&gt;</c>; anything else gets 401
/// and is not queued. An accepted event answers 202 once its copies are in the durable queue.
/// </summary>
internal static partial class WebhookEndpoints
{
    private const int MaxBody = 1024 * 1024;
    private const string Webhook = "webhook";
    private static readonly string[] ReplicaCauses = ["push", "read_miss"];

    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/webhooks/distribution", (HttpContext context, LiveConfiguration live, ReplicationQueue queue, ILoggerFactory loggers) =>
            HandleAsync(context, live, queue, loggers, ReadDistribution));
        app.MapPost("/api/webhooks/harbor", (HttpContext context, LiveConfiguration live, ReplicationQueue queue, ILoggerFactory loggers) =>
            HandleAsync(context, live, queue, loggers, ReadHarbor));
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context, LiveConfiguration live, ReplicationQueue queue, ILoggerFactory loggers,
        Func<JsonElement, string?, IEnumerable<WebhookEvent>> read)
    {
        var configuration = live.Configuration;
        var secret = configuration.Gateway?.WebhookSecret;
        if (secret is null || !Authorized(context.Request.Headers.Authorization.ToString(), secret))
        {
            return Results.Json(OciErrorBody.Of("UNAUTHORIZED", "a webhook needs Authorization: Bearer <webhooks.secret>", secret is null ? "webhooks.secret is not configured" : null), GatewayJsonContext.Http.OciErrorBody, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (context.Request.ContentLength > MaxBody)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        // An envelope of many events is larger than the gateway's default request limit.
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = MaxBody;

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Results.Json(OciErrorBody.Of("UNSUPPORTED", "the body is not JSON", ex.Message), GatewayJsonContext.Http.OciErrorBody, statusCode: StatusCodes.Status400BadRequest);
        }

        using (document)
        {
            var events = read(document.RootElement, configuration.Gateway?.Source).Distinct().ToList();
            var queued = 0;

            // A sharded replicator takes what it owns and what another replica already routed to it
            // (never sent on again, so replicas that disagree during a reload cannot bounce an
            // event between them); the rest goes to its owner.
            var shard = context.RequestServices.GetRequiredService<SyncOptions>().Shard;
            var local = events;
            if (!shard.IsWhole)
            {
                var router = context.RequestServices.GetRequiredService<RemoteReplicationEvents>();
                local = events.Where(e => e.Routed || router.ShardOf(e.Image) == shard.Index).ToList();
                foreach (var forwarded in events.Except(local))
                {
                    queued += await router.PublishAsync(forwarded.Image, forwarded.Cause, context.RequestAborted).ConfigureAwait(false);
                }
            }

            foreach (var group in local.GroupBy(e => e.Cause, StringComparer.Ordinal))
            {
                var tasks = group.SelectMany(e => RuleTasks.TasksForImage(configuration, e.Image)).ToList();
                var added = await queue.EnqueueAsync(tasks, group.Key, context.RequestAborted).ConfigureAwait(false);
                GatewayMetrics.ReplicationsQueued.WithLabels(group.Key).Inc(added);
                queued += added;
            }

            Log.Received(loggers.CreateLogger("SyncGateway.Webhooks"), events.Count, queued);
            return Results.Json(new WebhookAccepted(events.Count, queued), GatewayJsonContext.Http.WebhookAccepted, statusCode: StatusCodes.Status202Accepted);
        }
    }

    /// <summary>
    /// Push events with a tag, from distribution's envelope; the registry is the gateway's source,
    /// else the event's host. A gateway replica's event (<c>source.addr</c> is
    /// <see cref="RemoteReplicationEvents.ReplicaAddress"/>) carries its cause (push, read_miss) in <c>source.instanceID</c>.
    /// </summary>
    private static IEnumerable<WebhookEvent> ReadDistribution(JsonElement root, string? source)
    {
        if (!root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var item in events.EnumerateArray())
        {
            if (Text(item, "action") != "push" || !item.TryGetProperty("target", out var target))
            {
                continue;
            }

            var registry = source ?? (item.TryGetProperty("request", out var request) ? Text(request, "host") : null);
            if (Image(registry, Text(target, "repository"), Text(target, "tag")) is { } image)
            {
                yield return new WebhookEvent(image, CauseOf(item), FromReplica(item));
            }
            else if (CauseOf(item) == "read_miss" && Pinned(registry, Text(target, "repository"), Text(target, "digest")) is { } pinned)
            {
                // A gateway replica's pinned pull that missed the mirror: copied by digest.
                yield return new WebhookEvent(pinned, "read_miss", FromReplica(item));
            }
        }
    }

    /// <summary>Harbor's PUSH_ARTIFACT: each resource's tag in <c>repository.repo_full_name</c>.</summary>
    private static IEnumerable<WebhookEvent> ReadHarbor(JsonElement root, string? source)
    {
        if (Text(root, "type") is not ("PUSH_ARTIFACT" or "pushImage") || !root.TryGetProperty("event_data", out var data))
        {
            yield break;
        }

        var repository = data.TryGetProperty("repository", out var repo) ? Text(repo, "repo_full_name") : null;
        if (!data.TryGetProperty("resources", out var resources) || resources.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var resource in resources.EnumerateArray())
        {
            var url = Text(resource, "resource_url");
            var registry = source ?? url?.Split('/')[0];
            if (Image(registry, repository, Text(resource, "tag")) is { } image)
            {
                yield return new WebhookEvent(image, Webhook, Routed: false);
            }
        }
    }

    private static bool FromReplica(JsonElement item) =>
        item.TryGetProperty("source", out var origin) && Text(origin, "addr") == RemoteReplicationEvents.ReplicaAddress;

    private static string CauseOf(JsonElement item) =>
        FromReplica(item)
        && Text(item.GetProperty("source"), "instanceID") is { } cause
        && ReplicaCauses.Contains(cause)
            ? cause
            : Webhook;

    private static ImageReference? Image(string? registry, string? repository, string? tag) =>
        registry is null || repository is null || tag is null || !ImageReference.IsValidRepository(repository) || !ImageReference.IsValidTag(tag)
            ? null
            : ImageReference.TryParse($"{registry}/{repository}:{tag}", out var image, out _) ? image : null;

    private static ImageReference? Pinned(string? registry, string? repository, string? digest) =>
        registry is null || repository is null || !ImageReference.IsValidRepository(repository) || !Digest.TryParse(digest, out var parsed)
            ? null
            : ImageReference.Create(registry, repository, digest: parsed);

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Authorized(string header, string secret)
    {
        // The scheme is case-insensitive (RFC 9110); the secret is not.
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header[prefix.Length..].Trim())),
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Webhook: {Images} pushed image(s), {Queued} copies queued")]
        public static partial void Received(ILogger logger, int images, int queued);
    }
}

/// <summary>One tagged image a webhook reports, why, and whether another SyncGateway process already routed it here.</summary>
internal sealed record WebhookEvent(ImageReference Image, string Cause, bool Routed);
