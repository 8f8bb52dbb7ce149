using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Transport;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// The HEAD requests the read path decides with. At the source, with the client's own credentials
/// in passthrough mode, so a positive answer is also the proof that this client may read this
/// repository; answers by digest are remembered briefly per client. At the mirror, with the
/// gateway's credentials, remembered briefly too.
/// </summary>
internal sealed class ContentChecks(TimeProvider time)
{
    private static readonly TimeSpan AllowedLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MirrorHitLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MirrorMissLifetime = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SourceTimeout = TimeSpan.FromSeconds(10);

    private readonly TtlCache<string, SourceAnswer> _sourceByDigest = new(time);
    private readonly TtlCache<string, bool> _mirror = new(time);

    /// <summary>HEAD at the source for a manifest or blob, as this client (or as the gateway).</summary>
    public async Task<SourceAnswer> AtSourceAsync(HttpContext context, RegistryClient source, RegistryPath path, UpstreamCredentials credentials)
    {
        var key = path.Digest is { } digest ? $"{Fingerprint(context, credentials)}|{path.Repository}|{digest}" : null;
        if (key is not null && _sourceByDigest.TryGet(key, out var remembered))
        {
            return remembered;
        }

        var answer = await HeadAtSourceAsync(context, source, path, credentials).ConfigureAwait(false);
        if (key is not null && answer.Allowed)
        {
            _sourceByDigest.Set(key, answer, AllowedLifetime);
        }

        return answer;
    }

    /// <summary>Whether the mirror repository holds the manifest or blob with this digest.</summary>
    public async Task<bool> AtMirrorAsync(RegistryClient mirror, string repository, RegistryRoute route, Digest digest, CancellationToken cancellationToken)
    {
        var key = $"{repository}|{digest}";
        if (_mirror.TryGet(key, out var known))
        {
            return known;
        }

        bool present;
        try
        {
            present = route == RegistryRoute.Manifest
                ? (await mirror.Manifests.HeadAsync(repository, digest.ToString(), cancellationToken).ConfigureAwait(false))?.Digest == digest
                : await mirror.Blobs.ExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Registry.Errors.RegistryException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            present = false;
        }

        _mirror.Set(key, present, present ? MirrorHitLifetime : MirrorMissLifetime);
        return present;
    }

    /// <summary>Remembers that the mirror repository now holds this content (a fill just put it there).</summary>
    public void HeldAtMirror(string repository, Digest digest) => _mirror.Set($"{repository}|{digest}", true, MirrorHitLifetime);

    /// <summary>Whether the mirror repository is known to hold this content, without asking it.</summary>
    public bool KnownAtMirror(string repository, Digest digest) => _mirror.TryGet($"{repository}|{digest}", out var known) && known;

    /// <summary>Whether the mirror repository holds a tag (for reads while the source is down).</summary>
    public static async Task<bool> TagAtMirrorAsync(RegistryClient mirror, string repository, string tag, CancellationToken cancellationToken)
    {
        try
        {
            return await mirror.Manifests.HeadAsync(repository, tag, cancellationToken).ConfigureAwait(false) is not null;
        }
        catch (Exception ex) when (ex is Registry.Errors.RegistryException or HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<SourceAnswer> HeadAtSourceAsync(HttpContext context, RegistryClient source, RegistryPath path, UpstreamCredentials credentials)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(SourceTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(source.BaseUri, path.UpstreamPath(path.Repository!)));
            if (context.Request.Headers.Accept.Count > 0)
            {
                request.Headers.TryAddWithoutValidation("Accept", context.Request.Headers.Accept.ToArray());
            }
            else if (path.Route == RegistryRoute.Manifest)
            {
                request.Headers.TryAddWithoutValidation("Accept", MediaTypes.ManifestAccept);
            }

            if (credentials == UpstreamCredentials.Client)
            {
                if (context.Request.Headers.Authorization.Count > 0)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
                }
            }
            else
            {
                request.UseServiceCredentials(RegistryScopes.Pull(path.Repository!));
            }

            using var response = await source.Forwarding.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var digestHeader = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
            Digest? digest = Digest.TryParse(digestHeader, out var parsed) ? parsed : path.Digest;
            var headers = response.Headers.Concat(response.Content.Headers)
                .Where(h => SourceAnswer.Passed.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
                .Select(h => KeyValuePair.Create(h.Key, h.Value.ToArray()))
                .ToList();
            return new SourceAnswer(response.StatusCode, digest, headers);
        }
        catch (Exception ex) when (ex is HttpRequestException or Registry.Errors.RegistryException
                                   || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
        {
            return new SourceAnswer(null, null, []);
        }
    }

    // Answers are remembered per client: the hash of its Authorization header, never the header itself.
    private static string Fingerprint(HttpContext context, UpstreamCredentials credentials) =>
        credentials == UpstreamCredentials.Service
            ? "service"
            : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString())));
}
