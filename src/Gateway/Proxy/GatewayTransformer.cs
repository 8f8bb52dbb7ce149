using SyncGateway.Gateway.Metrics;
using Microsoft.AspNetCore.Http;
using SyncGateway.Registry.Transport;
using Yarp.ReverseProxy.Forwarder;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Shapes one forwarded request and its answer: the upstream path rebuilt from parsed parts, the
/// right credentials (the client's, or the gateway's own, which never reach a client), upload
/// <c>Location</c> and next-page <c>Link</c> headers pointed back at the gateway (see
/// <see cref="GatewayLinks"/>), a tag list paged when the source ignored <c>?n=</c> and named as
/// the client named it under a path prefix (see <see cref="TagPages"/>), and the backend named in a header.
/// </summary>
/// <remarks>
/// With <paramref name="fallback"/>, an answer that says the upstream is failing (500, 502, 503,
/// 504) is not passed on: <see cref="UpstreamFailed"/> tells the caller to answer another way.
/// </remarks>
internal sealed class GatewayTransformer(Backend backend, Uri baseUri, string upstreamPath, UpstreamCredentials credentials, string scope, bool fallback = false, string prefix = "") : HttpTransformer
{
    private const string TagList = "/tags/list";

    /// <summary>Whether the upstream answered that it is failing, and the answer was held back for the fallback.</summary>
    public bool UpstreamFailed { get; private set; }

    /// <summary>
    /// A large successful body (a blob) taken from YARP's copier, for <see cref="BodyPump"/> to send
    /// once the forwarder returns; its status and headers are set on the response already.
    /// </summary>
    public HttpContent? TakenBody { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.Host = null;
        proxyRequest.RequestUri = new Uri(baseUri, upstreamPath + UpstreamQuery(httpContext.Request));
        if (credentials == UpstreamCredentials.Service)
        {
            // The pipeline puts the gateway's own credentials on it (and learns the challenge first).
            proxyRequest.Headers.Authorization = null;
            proxyRequest.UseServiceCredentials(scope);
        }
    }

    /// <summary>
    /// The client's query string without containerd's <c>ns</c> parameter (which names the
    /// registry a mirror stands in for; the gateway routes by it and the upstream has no use for it).
    /// </summary>
    public static string UpstreamQuery(HttpRequest request)
    {
        if (!request.Query.ContainsKey("ns"))
        {
            return request.QueryString.ToUriComponent();
        }

        var kept = request.Query.Where(p => p.Key != "ns").SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v)));
        return QueryString.Create(kept).ToUriComponent();
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (fallback && proxyResponse is { StatusCode: System.Net.HttpStatusCode.InternalServerError or System.Net.HttpStatusCode.BadGateway or System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.GatewayTimeout })
        {
            UpstreamFailed = true;
            return false;
        }

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

        if (backend == Backend.Source && proxyResponse?.Headers.Location is { } location
            && GatewayLinks.ToGateway(httpContext.Request, baseUri, location, prefix) is { } ownLocation)
        {
            // Uploads continue through the gateway, whatever address the source believes it has.
            headers.Location = ownLocation;
        }

        if (backend == Backend.Source && proxyResponse is not null && proxyResponse.Headers.TryGetValues("Link", out var links))
        {
            // The next page of a tag list (or catalog, or referrers) is read through the gateway too, under the gateway's name.
            headers["Link"] = links.Select(l => GatewayLinks.Link(httpContext.Request, baseUri, l, prefix)).ToArray();
        }

        if (bodied && proxyResponse is { } answer && (int)answer.StatusCode >= 400)
        {
            await ErrorAnswer.WriteAsync(httpContext, answer, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (bodied && proxyResponse is { StatusCode: System.Net.HttpStatusCode.OK } list && upstreamPath.EndsWith(TagList, StringComparison.Ordinal)
            && (list.Content.Headers.ContentLength ?? 0) <= TagPages.MaxBody)
        {
            // Asked for a page, given the whole list: the gateway pages it. Under a path prefix the
            // body names the repository as the client does.
            var n = list.Headers.Contains("Link") ? null : TagPages.Size(httpContext.Request);
            if (n is not null || prefix.Length > 0)
            {
                await TagPages.WriteAsync(httpContext, list, n, prefix + upstreamPath[..^TagList.Length], cancellationToken).ConfigureAwait(false);
                return false;
            }
        }

        if (copyBody && bodied && proxyResponse is { StatusCode: System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.PartialContent } taken
            && taken.Content.Headers.ContentLength >= BodyPump.MinLength)
        {
            // YARP disposes the answer when told not to copy its body: the body is kept apart from it.
            TakenBody = taken.Content;
            taken.Content = null;
            return false;
        }

        return copyBody;
    }
}
