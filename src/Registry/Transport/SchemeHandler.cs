using System.Net;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Transport;

/// <summary>
/// image-syncer's <c>insecure</c>: HTTPS without verification where the registry speaks it, else
/// plain HTTP. Requests are addressed to <c>https://host/</c>; the first one probes which scheme
/// answers, and from then on requests to this host go to the scheme that did.
/// </summary>
internal sealed class SchemeHandler(string apiHost) : DelegatingHandler
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);
    private readonly SemaphoreSlim _probing = new(1, 1);
    private volatile string? _scheme;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        if (uri.Scheme == Uri.UriSchemeHttps && string.Equals(uri.Authority, apiHost, StringComparison.OrdinalIgnoreCase))
        {
            var scheme = _scheme;
            if (scheme is null)
            {
                // A connect request is a probe itself: the answer of the scheme that answered is its answer.
                (scheme, var answer) = await ProbeAsync(request.IsConnect(), cancellationToken).ConfigureAwait(false);
                if (answer is not null)
                {
                    return answer;
                }
            }

            if (scheme == Uri.UriSchemeHttp)
            {
                request.RequestUri = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri;
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The scheme that answers, and, when <paramref name="keep"/> asks and this call probed, the
    /// probe's answer. Both schemes are asked at once. A registry's answer to <c>/v2/</c> in plain
    /// HTTP (200 or 401) settles it: a port that answers the API in plain HTTP does not speak TLS.
    /// Any other plain answer waits for the HTTPS attempt, which wins if it answers: a TLS port may
    /// answer plain HTTP with an error of its own (distribution and nginx send a 400).
    /// </summary>
    private async Task<(string Scheme, HttpResponseMessage? Answer)> ProbeAsync(bool keep, CancellationToken cancellationToken)
    {
        await _probing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_scheme is { } known)
            {
                return (known, null);
            }

            using var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            probing.CancelAfter(ProbeTimeout);
            var https = TryAsync(Uri.UriSchemeHttps, probing.Token);
            var http = TryAsync(Uri.UriSchemeHttp, probing.Token);
            string scheme;
            HttpResponseMessage answer;
            if (await Task.WhenAny(https, http).ConfigureAwait(false) == http && http.Result is { StatusCode: HttpStatusCode.OK or HttpStatusCode.Unauthorized } plain)
            {
                (scheme, answer) = (Uri.UriSchemeHttp, plain);
                await probing.CancelAsync().ConfigureAwait(false);
                await DiscardAsync(https).ConfigureAwait(false);
            }
            else if (await https.ConfigureAwait(false) is { } secure)
            {
                // A TLS port may never answer the plain request: it is not waited for.
                (scheme, answer) = (Uri.UriSchemeHttps, secure);
                await probing.CancelAsync().ConfigureAwait(false);
                await DiscardAsync(http).ConfigureAwait(false);
            }
            else
            {
                cancellationToken.ThrowIfCancellationRequested();
                (scheme, answer) = (Uri.UriSchemeHttp, await http.ConfigureAwait(false)
                    ?? throw new RegistryException($"{apiHost} cannot be reached over https or http", retryable: true));
            }

            _scheme = scheme;
            if (keep)
            {
                return (scheme, answer);
            }

            answer.Dispose();
            return (scheme, null);
        }
        finally
        {
            _probing.Release();
        }
    }

    // One scheme's answer to GET /v2/, or null when it cannot be had (refused, not TLS, no answer in time).
    private async Task<HttpResponseMessage?> TryAsync(string scheme, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri($"{scheme}://{apiHost}/v2/"));
            return await base.SendAsync(probe, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task DiscardAsync(Task<HttpResponseMessage?> other) => (await other.ConfigureAwait(false))?.Dispose();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _probing.Dispose();
        }

        base.Dispose(disposing);
    }
}
