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
            var scheme = _scheme ?? await ProbeAsync(cancellationToken).ConfigureAwait(false);
            if (scheme == Uri.UriSchemeHttp)
            {
                request.RequestUri = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri;
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> ProbeAsync(CancellationToken cancellationToken)
    {
        await _probing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_scheme is { } known)
            {
                return known;
            }

            foreach (var scheme in new[] { Uri.UriSchemeHttps, Uri.UriSchemeHttp })
            {
                try
                {
                    using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri($"{scheme}://{apiHost}/v2/"));
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(ProbeTimeout);
                    using var response = await base.SendAsync(probe, timeout.Token).ConfigureAwait(false);
                    return _scheme = scheme;
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
