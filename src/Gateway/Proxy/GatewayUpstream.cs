using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Proxy;

/// <summary>One source the gateway fronts, with its mirror and who may use it.</summary>
internal sealed record GatewayUpstream(GatewaySource Settings, GatewayAuth Auth)
{
    public string Source => Settings.Source;

    public string? Mirror => Settings.Mirror;

    /// <summary>The path prefix that selects this source (<c>dockerhub/</c>), or empty.</summary>
    public string Prefix => Settings.Prefix;
}
