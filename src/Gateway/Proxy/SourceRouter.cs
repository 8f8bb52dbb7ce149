using Microsoft.AspNetCore.Http;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Which source a request is for. containerd, sent to the gateway as a mirror, names the registry
/// it stands in for with <c>?ns=&lt;host&gt;</c>: that source, when the gateway fronts it (a host
/// it does not front is refused, so containerd goes on to its next host instead of being served
/// another registry's image of the same name). Otherwise the longest configured prefix the path
/// starts with (taken off the path), else the source without a prefix.
/// </summary>
internal sealed class SourceRouter
{
    private readonly IReadOnlyList<GatewayUpstream> _upstreams;

    public SourceRouter(IReadOnlyList<GatewaySource> sources, TimeProvider time)
    {
        _upstreams = sources.Select(s => new GatewayUpstream(s, new GatewayAuth(s.Auth, s.Htpasswd, time))).ToList();
    }

    public IReadOnlyList<GatewayUpstream> Upstreams => _upstreams;

    /// <summary>
    /// The source of a request for <paramref name="rest"/> (the path after <c>/v2/</c>), and the
    /// path as that source names it; null with the reason when no source is for it.
    /// </summary>
    public GatewayUpstream? Select(HttpRequest request, string rest, out string path, out string? problem)
    {
        path = rest;
        problem = null;
        if (request.Query.TryGetValue("ns", out var ns) && ns.ToString() is { Length: > 0 } host)
        {
            var named = _upstreams.FirstOrDefault(u => SameRegistry(u.Source, host));
            if (named is null)
            {
                problem = $"the gateway does not front {host} (it fronts {string.Join(", ", _upstreams.Select(u => u.Source))})";
                return null;
            }

            path = named.Prefix.Length > 0 && rest.StartsWith(named.Prefix, StringComparison.Ordinal) ? rest[named.Prefix.Length..] : rest;
            return named;
        }

        var prefixed = _upstreams.Where(u => u.Prefix.Length > 0 && rest.StartsWith(u.Prefix, StringComparison.Ordinal)).MaxBy(u => u.Prefix.Length);
        if (prefixed is not null)
        {
            path = rest[prefixed.Prefix.Length..];
            return prefixed;
        }

        var fallback = _upstreams.FirstOrDefault(u => u.Prefix.Length == 0);
        if (fallback is null && rest.Length == 0)
        {
            // /v2/ itself: every source has its prefix; the first one answers the version check.
            return _upstreams[0];
        }

        problem = fallback is null ? $"the path starts with none of the gateway's prefixes ({string.Join(", ", _upstreams.Select(u => u.Prefix))})" : null;
        return fallback;
    }

    // Docker Hub goes by several names; containerd says docker.io.
    private static bool SameRegistry(string configured, string named)
    {
        static string Canonical(string host) => host.ToLowerInvariant() is "registry-1.docker.io" or "index.docker.io" ? "docker.io" : host.ToLowerInvariant();
        return Canonical(configured) == Canonical(named);
    }
}
