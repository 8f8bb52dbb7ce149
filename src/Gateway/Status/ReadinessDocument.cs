namespace SyncGateway.Gateway.Status;

/// <summary>The body of <c>/readyz</c>: ready, the records open, and which upstream role (source, mirror) answers.</summary>
internal sealed record ReadinessDocument(bool Ready, bool Records, Dictionary<string, bool> Upstreams);
