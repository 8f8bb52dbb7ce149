namespace SyncGateway.Replicator.Configuration;

/// <summary>The <c>gateway</c> and <c>webhooks</c> sections of the native file, for <c>serve</c>.</summary>
public sealed record GatewaySettings
{
    public string Listen { get; init; } = "http://0.0.0.0:5000";

    public string? Source { get; init; }

    public string? Mirror { get; init; }

    public GatewayAuthMode Auth { get; init; } = GatewayAuthMode.Passthrough;

    public string? Htpasswd { get; init; }

    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    public string? WebhookSecret { get; init; }

    /// <summary>For <c>serve --role gateway</c>: the replicator's address, where pushes are sent as events.</summary>
    public string? Replicator { get; init; }
}
