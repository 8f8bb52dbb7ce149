using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Transport;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// A repository's tag list read from the mirror, for when the source cannot be reached: the
/// mirror repository's name in the body is replaced by the one the client asked for (the source's,
/// under the path prefix that routed the request), so the answer reads as the source's would, and the next page's <c>Link</c> points at the gateway under the name the client
/// used (paged by the gateway when the mirror ignored <c>?n=</c>).
/// </summary>
internal static class MirrorTags
{
    private const int MaxBody = 4 * 1024 * 1024;

    /// <summary>Writes the mirror's tag list as the answer; false (nothing written) when the mirror has none to give.</summary>
    /// <remarks><paramref name="prefix"/> is the path prefix that routed the request to this source.</remarks>
    public static async Task<bool> TryWriteAsync(HttpContext context, RegistryClient mirror, string mirrorRepository, string repository, string prefix)
    {
        var query = GatewayTransformer.UpstreamQuery(context.Request);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(mirror.BaseUri, $"{mirrorRepository}/tags/list{query}"));
        request.UseServiceCredentials(RegistryScopes.Pull(mirrorRepository));
        JsonNode? list;
        HttpResponseMessage response;
        try
        {
            response = await mirror.Forwarding.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return false;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > MaxBody)
            {
                return false;
            }

            try
            {
                list = JsonNode.Parse(await response.Content.ReadAsStringAsync(context.RequestAborted).ConfigureAwait(false));
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }

            if (list is not JsonObject body)
            {
                return false;
            }

            body["name"] = prefix + repository;
            if (response.Headers.TryGetValues("Link", out var links))
            {
                context.Response.Headers["Link"] = links.Select(l => GatewayLinks.Link(context.Request, mirror.BaseUri, l, prefix, mirrorRepository, repository)).ToArray();
            }
            else if (TagPages.Size(context.Request) is { } n && TagPages.Cut(context.Request, body, n, prefix + repository) is { } next)
            {
                context.Response.Headers["Link"] = next;
            }

            var bytes = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = bytes.Length;
            context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
            context.Response.Headers[BackendNames.Header] = Backend.Mirror.Name();
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
            }

            return true;
        }
    }
}
