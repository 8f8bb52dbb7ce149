namespace SyncGateway.Gateway.Proxy;

/// <summary>Whose credentials a forwarded request carries.</summary>
internal enum UpstreamCredentials
{
    /// <summary>The client's own Authorization header, as it sent it (passthrough to the source).</summary>
    Client,

    /// <summary>The gateway's service credentials for that registry; the client's header is dropped.</summary>
    Service,
}
