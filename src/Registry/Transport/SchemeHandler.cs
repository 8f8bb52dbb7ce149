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
    /// probe's answer. HTTPS is asked first and plain HTTP only when HTTPS cannot be had, so a
    /// registry that speaks TLS never sees a plain request, not even through a proxy.
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

            foreach (var scheme in new[] { Uri.UriSchemeHttps, Uri.UriSchemeHttp })
            {
                try
                {
                    using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri($"{scheme}://{apiHost}/v2/"));
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(ProbeTimeout);
                    var response = await base.SendAsync(probe, timeout.Token).ConfigureAwait(false);
                    _scheme = scheme;
                    if (keep)
                    {
                        return (scheme, response);
                    }

                    response.Dispose();
                    return (scheme, null);
                }
                catch (HttpRequestException)
                {
                    // try the next scheme
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // try the next scheme
                }
            }

            throw new RegistryException($"{apiHost} cannot be reached over https or http", retryable: true);
        }
        finally
        {
            _probing.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _probing.Dispose();
        }

        base.Dispose(disposing);
    }
}
