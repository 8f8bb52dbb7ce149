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

    /// <summary>
    /// Every registry the gateway fronts: <c>gateway.sources</c>, or the one of
    /// <c>gateway.source</c>. <see cref="Source"/>, <see cref="Mirror"/>, <see cref="Auth"/> and
    /// <see cref="Htpasswd"/> are those of the first.
    /// </summary>
    public IReadOnlyList<GatewaySource> Sources { get; init; } = [];

    public bool Equals(GatewaySettings? other) =>
        other is not null
        && Listen == other.Listen && Source == other.Source && Mirror == other.Mirror && Auth == other.Auth
        && Htpasswd == other.Htpasswd && TlsCertificate == other.TlsCertificate && TlsKey == other.TlsKey
        && WebhookSecret == other.WebhookSecret && Replicator == other.Replicator
        && Sources.SequenceEqual(other.Sources);

    public override int GetHashCode() => HashCode.Combine(Listen, Source, Mirror, Auth, Sources.Count);
}
