using System.Net;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Gateway.Proxy;

/// <summary>What a HEAD at the source said: the status, digest and headers, or that the source could not be reached.</summary>
internal sealed record SourceAnswer(HttpStatusCode? Status, Digest? Digest, IReadOnlyList<KeyValuePair<string, string[]>> Headers)
{
    /// <summary>The headers of a HEAD answer that a client needs, passed on as the source gave them.</summary>
    public static readonly string[] Passed = ["Content-Type", "Content-Length", "Docker-Content-Digest", "Docker-Distribution-API-Version", "WWW-Authenticate", "ETag"];

    public bool Unreachable => Status is null or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.InternalServerError;

    public bool Allowed => Status == HttpStatusCode.OK;

    /// <summary>The length the source declared for the content, when it declared one.</summary>
    public long? ContentLength =>
        Headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() is { } text
        && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) ? length : null;
}
