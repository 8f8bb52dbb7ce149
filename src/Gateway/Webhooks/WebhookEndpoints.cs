using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Hosting;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Webhooks;

/// <summary>
/// Registry notifications: the CNCF distribution registry's <c>events</c> envelope and Harbor's
/// push event. Both need <c>Authorization: Bearer &lt;webhooks.secret&gt;</c>; anything else gets 401
/// and is not queued. An accepted event answers 202 once its copies are in the durable queue.
/// </summary>
internal static partial class WebhookEndpoints
{
    private const int MaxBody = 1024 * 1024;

    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/webhooks/distribution", (HttpContext context, LiveConfiguration live, ReplicationQueue queue, ILoggerFactory loggers) =>
            HandleAsync(context, live, queue, loggers, ReadDistribution));
        app.MapPost("/api/webhooks/harbor", (HttpContext context, LiveConfiguration live, ReplicationQueue queue, ILoggerFactory loggers) =>
            HandleAsync(context, live, queue, loggers, ReadHarbor));
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context, LiveConfiguration live, ReplicationQueue queue, ILoggerFactory loggers,
        Func<JsonElement, string?, IEnumerable<ImageReference>> read)
    {
        var configuration = live.Current.Configuration;
        var secret = configuration.Gateway?.WebhookSecret;
        if (secret is null || !Authorized(context.Request.Headers.Authorization.ToString(), secret))
        {
            return Results.Json(new { errors = new[] { new { code = "UNAUTHORIZED", message = "a webhook needs Authorization: Bearer <webhooks.secret>", detail = secret is null ? "webhooks.secret is not configured" : null } } }, statusCode: StatusCodes.Status401Unauthorized);
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
            return Results.Json(new { errors = new[] { new { code = "UNSUPPORTED", message = "the body is not JSON", detail = ex.Message } } }, statusCode: StatusCodes.Status400BadRequest);
        }

        using (document)
        {
            var images = read(document.RootElement, configuration.Gateway?.Source).Distinct().ToList();
            var tasks = images.SelectMany(image => Planner.TasksForImage(configuration.Rules, image)).ToList();
            var queued = await queue.EnqueueAsync(tasks, "webhook", context.RequestAborted).ConfigureAwait(false);
            GatewayMetrics.ReplicationsQueued.WithLabels("webhook").Inc(queued);
            Log.Received(loggers.CreateLogger("SyncGateway.Webhooks"), images.Count, queued);
            return Results.Json(new { images = images.Count, queued }, statusCode: StatusCodes.Status202Accepted);
        }
    }

    /// <summary>Push events with a tag, from distribution's envelope; the registry is the gateway's source, else the event's host.</summary>
    private static IEnumerable<ImageReference> ReadDistribution(JsonElement root, string? source)
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
                yield return image;
            }
        }
    }

    /// <summary>Harbor's PUSH_ARTIFACT: each resource's tag in <c>repository.repo_full_name</c>.</summary>
    private static IEnumerable<ImageReference> ReadHarbor(JsonElement root, string? source)
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
                yield return image;
            }
        }
    }

    private static ImageReference? Image(string? registry, string? repository, string? tag) =>
        registry is null || repository is null || tag is null || !ImageReference.IsValidRepository(repository) || !ImageReference.IsValidTag(tag)
            ? null
            : ImageReference.TryParse($"{registry}/{repository}:{tag}", out var image, out _) ? image : null;

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Authorized(string header, string secret)
    {
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header[prefix.Length..])),
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Webhook: {Images} pushed image(s), {Queued} copies queued")]
        public static partial void Received(ILogger logger, int images, int queued);
    }
}
