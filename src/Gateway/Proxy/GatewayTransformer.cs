using SyncGateway.Gateway.Metrics;
using Microsoft.AspNetCore.Http;
using SyncGateway.Registry.Transport;
using Yarp.ReverseProxy.Forwarder;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Shapes one forwarded request and its answer: the upstream path rebuilt from parsed parts, the
/// right credentials (the client's, or the gateway's own, which never reach a client), upload
/// <c>Location</c> headers pointed back at the gateway, and the backend named in a header.
/// </summary>
internal sealed class GatewayTransformer(Backend backend, Uri baseUri, string upstreamPath, UpstreamCredentials credentials, string scope) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.Host = null;
        proxyRequest.RequestUri = new Uri(baseUri, upstreamPath + httpContext.Request.QueryString.ToUriComponent());
        if (credentials == UpstreamCredentials.Service)
        {
            // The pipeline puts the gateway's own credentials on it (and learns the challenge first).
            proxyRequest.Headers.Authorization = null;
            proxyRequest.UseServiceCredentials(scope);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        var headers = httpContext.Response.Headers;
        headers[BackendNames.Header] = backend.Name();
        var bodied = !HttpMethods.IsHead(httpContext.Request.Method);
        if (bodied && proxyResponse?.Content.Headers.ContentLength is { } length && (int)proxyResponse.StatusCode < 400)
        {
            Metrics.GatewayMetrics.ResponseBytes.WithLabels(backend.Name()).Inc(length);
        }

        if (credentials == UpstreamCredentials.Service)
        {
            // The gateway's own login is none of the client's business.
            headers.Remove("WWW-Authenticate");
        }

        if (backend == Backend.Source && proxyResponse?.Headers.Location is { } location)
        {
            var absolute = location.IsAbsoluteUri ? location : new Uri(baseUri, location);
            if (string.Equals(absolute.Authority, baseUri.Authority, StringComparison.OrdinalIgnoreCase))
            {
                // Uploads continue through the gateway, whatever address the source believes it has.
                headers.Location = $"{httpContext.Request.Scheme}://{httpContext.Request.Host}{absolute.PathAndQuery}";
            }
        }

        if (bodied && proxyResponse is { } answer && (int)answer.StatusCode >= 400)
        {
            await ErrorAnswer.WriteAsync(httpContext, answer, cancellationToken).ConfigureAwait(false);
            return false;
        }

        return copyBody;
    }
}
