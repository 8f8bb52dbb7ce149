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
/// than <c>n</c> tags) is passed on as it answered, but for the repository's name in the body,
/// which under a path prefix is the gateway's, not the upstream's.
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
    /// Answers with the upstream's tag list <paramref name="answer"/> (a 200) under the name the
    /// client asked for, <paramref name="repository"/> (with the source's path prefix, which the
    /// upstream does not know), paged when <paramref name="n"/> is given and the list holds more
    /// tags; the bytes go as they came when neither changes anything. The status and headers are
    /// set on the response already.
    /// </summary>
    /// <remarks>
    /// A body without a <c>Content-Length</c> (chunked) is read up to <see cref="MaxBody"/>; one
    /// that goes on past that is passed on as it comes.
    /// </remarks>
    public static async Task WriteAsync(HttpContext context, HttpResponseMessage answer, int? n, string repository, CancellationToken cancellationToken)
    {
        await using var content = await answer.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var held = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while (held.Length <= MaxBody && (read = await content.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            held.Write(chunk, 0, read);
        }

        if (held.Length > MaxBody)
        {
            held.Position = 0;
            await held.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
            await content.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
            return;
        }

        var bytes = held.ToArray();
        try
        {
            if (JsonNode.Parse(bytes) is JsonObject list)
            {
                var renamed = list["name"] is JsonValue name && name.TryGetValue<string>(out var upstreamName) && upstreamName != repository;
                if (renamed)
                {
                    list["name"] = repository;
                }

                var paged = n is { } size && list["tags"] is JsonArray all && all.Count > size;
                if (paged && Cut(context.Request, list, n!.Value, repository) is { } link)
                {
                    context.Response.Headers["Link"] = link;
                }

                if (renamed || paged)
                {
                    bytes = JsonSerializer.SerializeToUtf8Bytes(list, GatewayJsonContext.Default.JsonObject);
                }
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
