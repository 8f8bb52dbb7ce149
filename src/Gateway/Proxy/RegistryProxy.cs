using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Replication;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// The Registry V2 endpoint. The source stays the authority: a manifest by tag is resolved there
/// with a HEAD; content by digest is served from the mirror when the mirror holds it and the
/// source has it too (which, in passthrough mode, is also the check that this client may read
/// it), otherwise it streams from the source and the image is queued for replication. When the
/// source cannot be reached, what the mirror holds is served. Writes, tag lists, the catalog and
/// referrers go to the source; a manifest the source accepts becomes a replication event at once.
/// </summary>
internal sealed partial class RegistryProxy(
    LiveConfiguration live,
    ContentChecks checks,
    SourceRouter router,
    UpstreamForwarder forwarder,
    BlobFills fills,
    IReplicationEvents events,
    TimeProvider time,
    ILogger<RegistryProxy> logger)
{
    private const long MaxManifestBody = Manifest.MaxSize;

    private readonly ReplicationTriggers _triggers = new(events, time, logger);

    public async Task HandleAsync(HttpContext context, string? rest)
    {
        // The configuration generation this request started on stays open until it ends.
        using var lease = live.Lease();
        await HandleAsync(context, rest, lease.Generation).ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context, string? rest, ConfigurationGeneration generation)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        if (RegistryPath.HasDotSegment(raw))
        {
            GatewayMetrics.Count(Backend.Gateway, context.Request.Method, 400);
            await OciError.WriteAsync(context, RegistryErrorCode.NameInvalid, "a path segment is '.' or '..' (plain or percent-encoded): the path must name the repository as it is", HttpStatusCode.BadRequest).ConfigureAwait(false);
            return;
        }

        var up = router.Select(context.Request, rest ?? string.Empty, out var routed, out var unrouted);
        if (up is null)
        {
            GatewayMetrics.Count(Backend.Gateway, context.Request.Method, 404);
            await OciError.WriteAsync(context, RegistryErrorCode.NameUnknown, unrouted!, HttpStatusCode.NotFound).ConfigureAwait(false);
            return;
        }

        var path = RegistryPath.Parse(routed, out var code, out var error);
        if (path is null)
        {
            var status = code == RegistryErrorCode.Unsupported ? HttpStatusCode.NotFound : HttpStatusCode.BadRequest;
            GatewayMetrics.Count(Backend.Gateway, context.Request.Method, (int)status);
            await OciError.WriteAsync(context, code!, error!, status).ConfigureAwait(false);
            return;
        }

        if (!await up.Auth.AdmitsAsync(context).ConfigureAwait(false))
        {
            GatewayMetrics.Count(Backend.Gateway, context.Request.Method, 401);
            await GatewayAuth.ChallengeAsync(context).ConfigureAwait(false);
            return;
        }

        var method = context.Request.Method;
        if (path.Route == RegistryRoute.Base)
        {
            // Passthrough: the source's own answer (its challenge). When the source is down, or the
            // gateway is the one that authenticates, the gateway answers: reads can still be served.
            if (up.Auth.Mode == GatewayAuthMode.Passthrough)
            {
                var source = generation.Registries.Get(up.Source, string.Empty);
                await forwarder.ForwardAsync(context, Backend.Source, source, string.Empty, UpstreamCredentials.Client, string.Empty, VersionCheckAsync).ConfigureAwait(false);
            }
            else
            {
                await VersionCheckAsync(context).ConfigureAwait(false);
            }

            return;
        }

        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (isRead && path.Route is RegistryRoute.Manifest or RegistryRoute.Blob)
        {
            await ReadAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        if (isRead && path.Route == RegistryRoute.Tags)
        {
            await TagsAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        if (path.Route == RegistryRoute.Manifest && HttpMethods.IsPut(method))
        {
            await PushManifestAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        if (path.Route == RegistryRoute.Upload)
        {
            // Blob bodies have no size limit but their own.
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
        }

        await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
    }

    private static async Task VersionCheckAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        context.Response.Headers[BackendNames.Header] = Backend.Gateway.Name();
        context.Response.ContentType = "application/json";
        GatewayMetrics.Count(Backend.Gateway, context.Request.Method, 200);
        await context.Response.WriteAsync("{}").ConfigureAwait(false);
    }

    private async Task ReadAsync(HttpContext context, RegistryPath path, ConfigurationGeneration generation, GatewayUpstream up)
    {
        var repository = path.Repository!;
        var mirrorRepository = generation.MirrorsOf(up.Source).Find(repository);
        if (mirrorRepository is null || up.Mirror is null)
        {
            await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        var source = generation.Registries.Get(up.Source, repository);
        var mirror = generation.Registries.Get(up.Mirror, mirrorRepository);
        if (path.Route == RegistryRoute.Manifest && HttpMethods.IsGet(context.Request.Method))
        {
            _triggers.ManifestRead(up.Source, repository, path.IsByDigest ? $"@{path.Reference}" : $":{path.Reference}");
        }

        var answer = await checks.AtSourceAsync(context, source, path, up.Auth.SourceCredentials).ConfigureAwait(false);
        if (answer.Unreachable)
        {
            await StaleAsync(context, path, generation, up, mirror, mirrorRepository).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            // A HEAD carries no content: the source's answer to the same HEAD is the answer, and
            // the source is not asked twice. (The mirror answers a HEAD only while the source is down.)
            Answer(context, answer, up);
            return;
        }

        if (!answer.Allowed || answer.Digest is not { } digest)
        {
            // The source's own answer (401, 403, 404) is the one the client gets.
            await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        if (await checks.AtMirrorAsync(mirror, mirrorRepository, path.Route, digest, context.RequestAborted).ConfigureAwait(false))
        {
            var byDigest = path with { Reference = digest.ToString(), Digest = digest };
            await forwarder.ForwardAsync(context, Backend.Mirror, mirror, byDigest.UpstreamPath(mirrorRepository), UpstreamCredentials.Service, RegistryScopes.Pull(mirrorRepository)).ConfigureAwait(false);
            return;
        }

        if (path.Route == RegistryRoute.Manifest)
        {
            // A pinned pull (by digest) fills the mirror as a pull by tag does.
            await _triggers.ReadMissAsync(path.IsByDigest ? ImageReference.Create(up.Source, repository, digest: digest) : ImageReference.Create(up.Source, repository, path.Reference)).ConfigureAwait(false);
            await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        await _triggers.BlobMissAsync(up.Source, source, repository).ConfigureAwait(false);
        if (context.Request.Headers.Range.Count == 0 && answer.ContentLength is { } size)
        {
            var blob = new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = size };
            var outcome = await fills.ServeAsync(context, source, repository, mirror, up.Mirror, mirrorRepository, blob).ConfigureAwait(false);
            if (outcome == FillOutcome.Served)
            {
                GatewayMetrics.Count(Backend.Source, context.Request.Method, context.Response.StatusCode);
                return;
            }

            if (outcome == FillOutcome.AtMirror)
            {
                await forwarder.ForwardAsync(context, Backend.Mirror, mirror, path.UpstreamPath(mirrorRepository), UpstreamCredentials.Service, RegistryScopes.Pull(mirrorRepository)).ConfigureAwait(false);
                return;
            }
        }

        await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
    }

    private static void Answer(HttpContext context, SourceAnswer answer, GatewayUpstream up)
    {
        context.Response.StatusCode = (int)answer.Status!.Value;
        foreach (var (name, values) in answer.Headers)
        {
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(values.FirstOrDefault(), out var length))
            {
                context.Response.ContentLength = length;
            }
            else if (!(up.Auth.SourceCredentials == UpstreamCredentials.Service && name.Equals("WWW-Authenticate", StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.Headers[name] = values;
            }
        }

        context.Response.Headers[BackendNames.Header] = Backend.Source.Name();
        GatewayMetrics.Count(Backend.Source, context.Request.Method, context.Response.StatusCode);
    }

    private async Task StaleAsync(HttpContext context, RegistryPath path, ConfigurationGeneration generation, GatewayUpstream up, RegistryClient mirror, string mirrorRepository)
    {
        var present = path.Digest is { } digest
            ? await checks.AtMirrorAsync(mirror, mirrorRepository, path.Route, digest, context.RequestAborted).ConfigureAwait(false)
            : await ContentChecks.TagAtMirrorAsync(mirror, mirrorRepository, path.Reference!, context.RequestAborted).ConfigureAwait(false);
        if (!present)
        {
            await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        // Passthrough cannot ask the source whether this client may read: serving stale content
        // then is what the operator chose by configuring a mirror for this repository.
        GatewayMetrics.StaleReads.Inc();
        Log.ServingStale(logger, path.Repository!);
        await forwarder.ForwardAsync(context, Backend.Mirror, mirror, path.UpstreamPath(mirrorRepository), UpstreamCredentials.Service, RegistryScopes.Pull(mirrorRepository)).ConfigureAwait(false);
    }

    // Tag lists come from the source; a mirrored repository's from the mirror while the source is down.
    private async Task TagsAsync(HttpContext context, RegistryPath path, ConfigurationGeneration generation, GatewayUpstream up)
    {
        var repository = path.Repository!;
        if (generation.MirrorsOf(up.Source).Find(repository) is not { } mirrorRepository || up.Mirror is null)
        {
            await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
            return;
        }

        var mirror = generation.Registries.Get(up.Mirror, mirrorRepository);
        await ToSourceAsync(context, path, generation, up, async ctx =>
        {
            if (await MirrorTags.TryWriteAsync(ctx, mirror, mirrorRepository, repository, up.Prefix).ConfigureAwait(false))
            {
                GatewayMetrics.StaleReads.Inc();
                GatewayMetrics.Count(Backend.Mirror, ctx.Request.Method, ctx.Response.StatusCode);
                Log.ServingStale(logger, repository);
                return;
            }

            ctx.Response.Headers[BackendNames.Header] = Backend.Source.Name();
            await OciError.WriteAsync(ctx, RegistryErrorCode.Unavailable, "the source registry could not be reached, and the mirror has no tag list for this repository", HttpStatusCode.BadGateway).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task PushManifestAsync(HttpContext context, RegistryPath path, ConfigurationGeneration generation, GatewayUpstream up)
    {
        if (context.Request.ContentLength > MaxManifestBody)
        {
            GatewayMetrics.Count(Backend.Gateway, context.Request.Method, 413);
            await OciError.WriteAsync(context, RegistryErrorCode.SizeInvalid, $"a manifest may be at most {MaxManifestBody} bytes", HttpStatusCode.RequestEntityTooLarge).ConfigureAwait(false);
            return;
        }

        context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = MaxManifestBody;
        await ToSourceAsync(context, path, generation, up).ConfigureAwait(false);
        if (context.Response.StatusCode == StatusCodes.Status201Created && !path.IsByDigest)
        {
            await _triggers.PushedAsync(ImageReference.Create(up.Source, path.Repository!, path.Reference)).ConfigureAwait(false);
        }
    }

    private Task ToSourceAsync(HttpContext context, RegistryPath path, ConfigurationGeneration generation, GatewayUpstream up, Func<HttpContext, Task>? unreachable = null)
    {
        var repository = path.Repository;
        var source = generation.Registries.Get(up.Source, repository ?? string.Empty);
        var scope = repository is null ? RegistryScopes.Catalog
            : HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ? RegistryScopes.Pull(repository)
            : RegistryScopes.Push(repository);
        return forwarder.ForwardAsync(context, Backend.Source, source, path.UpstreamPath(repository ?? string.Empty), up.Auth.SourceCredentials, scope, unreachable, up.Prefix);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "The source cannot be reached; serving {Repository} from the mirror")]
        public static partial void ServingStale(ILogger logger, string repository);
    }
}
