using System.Net;
using Microsoft.AspNetCore.Http;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Gateway.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Streams a request to the source or the mirror and the answer back with YARP's forwarder:
/// nothing is buffered, Range and HEAD pass through, and a client that goes away cancels the
/// upstream request. A large successful body (a blob) is sent by <see cref="BodyPump"/> instead of
/// YARP's copier, at a third of the CPU.
/// </summary>
internal sealed class UpstreamForwarder(IHttpForwarder forwarder)
{
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(5) };

    /// <summary>
    /// Forwards the request. When the upstream cannot be reached (or answers that it is failing:
    /// 500, 502, 503, 504) and <paramref name="unreachable"/> is given, it answers instead; otherwise
    /// the client gets a 502 with an OCI error body.
    /// </summary>
    /// <remarks><paramref name="prefix"/> is the path prefix that routed the request to this source; the upload locations it gives keep it.</remarks>
    public async Task ForwardAsync(HttpContext context, Backend backend, RegistryClient upstream, string upstreamPath, UpstreamCredentials credentials, string scope, Func<HttpContext, Task>? unreachable = null, string prefix = "")
    {
        var baseUri = upstream.BaseUri;
        var transformer = new GatewayTransformer(backend, baseUri, upstreamPath, credentials, scope, fallback: unreachable is not null, prefix);
        var error = await forwarder.SendAsync(context, baseUri.GetLeftPart(UriPartial.Authority), upstream.Forwarding, RequestConfig, transformer).ConfigureAwait(false);
        if (transformer.TakenBody is { } body)
        {
            await BodyPump.CopyAsync(context, backend, body, body.Headers.ContentLength!.Value).ConfigureAwait(false);
        }

        if (unreachable is not null && !context.Response.HasStarted && (transformer.UpstreamFailed || error is ForwarderError.Request or ForwarderError.RequestTimedOut))
        {
            context.Response.Clear();
            await unreachable(context).ConfigureAwait(false);
            return;
        }

        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.Headers[BackendNames.Header] = backend.Name();
            await OciError.WriteAsync(context, RegistryErrorCode.Unavailable, $"the {backend.Name()} registry could not be reached ({error})", HttpStatusCode.BadGateway).ConfigureAwait(false);
        }

        GatewayMetrics.Count(backend, context.Request.Method, context.Response.StatusCode);
    }
}
