using System.Net;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Gateway.Proxy;

/// <summary>What a HEAD at the source said: the status and digest, or that the source could not be reached.</summary>
internal sealed record SourceAnswer(HttpStatusCode? Status, Digest? Digest)
{
    public bool Unreachable => Status is null or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.InternalServerError;

    public bool Allowed => Status == HttpStatusCode.OK;
}
