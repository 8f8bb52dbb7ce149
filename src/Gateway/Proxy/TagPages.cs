using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Json;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Tag lists paged as the distribution spec says (<c>?n=</c> at most n tags, <c>?last=</c> the
/// tags after that one, in lexical order, and a <c>Link</c> to the next page) when the upstream
/// answered a paged request with its whole list: distribution 2.x (<c>registry:2</c>) ignores
/// <c>n</c> and <c>last</c>. An upstream that pages itself (it sends a <c>Link</c>, or no more
/// than <c>n</c> tags) is passed on as it answered.
/// </summary>
internal static class TagPages
{
    /// <summary>The largest tag list read whole to be paged.</summary>
    public const int MaxBody = 4 * 1024 * 1024;

    /// <summary>The page size the client asked for, or null when it asked for no paging.</summary>
    public static int? Size(HttpRequest request) =>
        int.TryParse(request.Query["n"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    /// <summary>
    /// Cuts this request's page out of <paramref name="list"/> (a tag list body) when it holds more
    /// than <paramref name="n"/> tags; returns the <c>Link</c> to the next page at the gateway
    /// (for <paramref name="repository"/>, the gateway's name), or null when this is the last page
    /// or the list needed no paging.
    /// </summary>
    public static string? Cut(HttpRequest request, JsonObject list, int n, string repository)
    {
        if (list["tags"] is not JsonArray all || all.Count <= n)
        {
            return null;
        }

        var last = request.Query["last"].ToString();
        var after = all.Select(t => t is JsonValue value && value.TryGetValue<string>(out var tag) ? tag : null)
            .OfType<string>()
            .Where(t => last.Length == 0 || string.CompareOrdinal(t, last) > 0)
            .Order(StringComparer.Ordinal)
            .ToList();
        var page = after.Take(n).ToList();
        list["tags"] = new JsonArray([.. page.Select(t => (JsonNode)JsonValue.Create(t))]);
        return after.Count > n ? GatewayLinks.NextTags(request, repository, n, page[^1]) : null;
    }

    /// <summary>
    /// Answers with the upstream's tag list <paramref name="answer"/> (a 200 without a <c>Link</c>,
    /// to a request with <c>?n=</c>), paged when it holds more than <c>n</c> tags, else with the
    /// bytes as they came. The status and headers are set on the response already.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, HttpResponseMessage answer, int n, string repository, CancellationToken cancellationToken)
    {
        var bytes = await answer.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (JsonNode.Parse(bytes) is JsonObject list && list["tags"] is JsonArray all && all.Count > n)
            {
                if (Cut(context.Request, list, n, repository) is { } link)
                {
                    context.Response.Headers["Link"] = link;
                }

                bytes = JsonSerializer.SerializeToUtf8Bytes(list, GatewayJsonContext.Default.JsonObject);
            }
        }
        catch (JsonException)
        {
            // Not a tag list: passed on as it came.
        }

        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }
}
