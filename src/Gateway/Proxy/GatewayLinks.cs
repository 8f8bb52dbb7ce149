using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// URLs an upstream hands out (an upload's <c>Location</c>, the next page's <c>Link</c>) made into
/// the gateway's own: absolute, at the address the client used, with the path prefix that routed
/// the request, and under the gateway's name for the repository where the upstream's differs (a
/// mirror's). A URL that points elsewhere (storage, another host) is left as it is.
/// </summary>
internal static partial class GatewayLinks
{
    /// <summary>
    /// The gateway's URL for <paramref name="url"/> (absolute, or relative to the upstream's
    /// <paramref name="baseUri"/>), or null when it is not on the upstream's host.
    /// <paramref name="upstreamRepository"/> is replaced by <paramref name="repository"/> when given.
    /// </summary>
    public static string? ToGateway(HttpRequest request, Uri baseUri, Uri url, string prefix, string? upstreamRepository = null, string? repository = null)
    {
        var absolute = url.IsAbsoluteUri ? url : new Uri(baseUri, url);
        if (!string.Equals(absolute.Authority, baseUri.Authority, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var pathAndQuery = absolute.PathAndQuery;
        if (pathAndQuery.StartsWith("/v2/", StringComparison.Ordinal))
        {
            var rest = pathAndQuery[4..];
            if (upstreamRepository is not null && repository is not null && rest.StartsWith(upstreamRepository + "/", StringComparison.Ordinal))
            {
                rest = repository + rest[upstreamRepository.Length..];
            }

            pathAndQuery = "/v2/" + prefix + rest;
        }

        return $"{request.Scheme}://{request.Host}{pathAndQuery}";
    }

    /// <summary>
    /// A <c>Link</c> header value with each of its URLs made into the gateway's (see
    /// <see cref="ToGateway"/>); containerd's <c>ns</c> parameter, when the client sent one, goes
    /// along, so the next page is routed to the same source.
    /// </summary>
    public static string Link(HttpRequest request, Uri baseUri, string link, string prefix, string? upstreamRepository = null, string? repository = null) =>
        LinkTarget().Replace(link, match =>
            Uri.TryCreate(match.Groups[1].Value, UriKind.RelativeOrAbsolute, out var url)
            && ToGateway(request, baseUri, url, prefix, upstreamRepository, repository) is { } own
                ? $"<{WithNs(request, own)}>"
                : match.Value);

    /// <summary>The gateway's own <c>Link</c> to the next page of a tag list it paged itself.</summary>
    public static string NextTags(HttpRequest request, string repository, int n, string last)
    {
        var url = string.Create(CultureInfo.InvariantCulture, $"{request.Scheme}://{request.Host}/v2/{repository}/tags/list?n={n}&last={Uri.EscapeDataString(last)}");
        return $"<{WithNs(request, url)}>; rel=\"next\"";
    }

    private static string WithNs(HttpRequest request, string url)
    {
        if (!request.Query.TryGetValue("ns", out var ns) || ns.ToString() is not { Length: > 0 } host)
        {
            return url;
        }

        var query = new Uri(url).Query;
        return QueryHelpers.ParseQuery(query).ContainsKey("ns") ? url : QueryHelpers.AddQueryString(url, "ns", host);
    }

    [GeneratedRegex("<([^>]*)>")]
    private static partial Regex LinkTarget();
}
