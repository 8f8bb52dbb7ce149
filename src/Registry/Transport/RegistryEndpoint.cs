using SyncGateway.Registry.Auth;

namespace SyncGateway.Registry.Transport;

/// <summary>How to reach and log in to one registry host.</summary>
public sealed record RegistryEndpoint
{
    /// <summary>Blobs larger than this go up in chunks of this size unless the registry says otherwise.</summary>
    public const long DefaultChunkSize = 512L * 1024 * 1024;

    /// <summary><c>host[:port]</c> as images name it; <c>docker.io</c> for Docker Hub.</summary>
    public required string Host { get; init; }

    /// <summary>
    /// What the settings apply to: the host, or <c>host/namespace</c> when one namespace of a host has
    /// credentials of its own (image-syncer's <c>auth</c> keys). The longest prefix of an image wins.
    /// </summary>
    public string Prefix { get => field ?? Host; init; }

    /// <summary>Plain HTTP, or HTTPS without verifying the certificate (image-syncer's meaning).</summary>
    public bool Insecure { get; init; }

    /// <summary>A PEM file of CA certificates to trust for this host, besides the system's.</summary>
    public string? CaFile { get; init; }

    public RegistryCredentials? Credentials { get; init; }

    /// <summary>
    /// Credentials a program gives when they are needed, instead of <see cref="Credentials"/>: a
    /// <c>passwordCommand</c>, a docker credential helper. Asked again after a refusal.
    /// </summary>
    public ICredentialSource? CredentialSource { get; init; }

    /// <summary>Whether the endpoint has credentials of its own (fixed or from a program).</summary>
    public bool HasLogin => Credentials is not null || CredentialSource is not null;

    /// <summary>Where this endpoint's credentials come from; null = anonymous.</summary>
    public ICredentialSource? Login => CredentialSource ?? FixedCredentials.From(Credentials);

    public long ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>A token realm to trust over plain HTTP on the registry's own host (another port).</summary>
    public Uri? Realm { get; init; }

    /// <summary>Requests in flight to this registry at most (checks and streams); null = no cap.</summary>
    public int? MaxRequests { get; init; }

    /// <summary>Requests a second at most (a token bucket); null = no cap.</summary>
    public double? RequestsPerSecond { get; init; }

    /// <summary>Bytes a second, shared by every stream to or from this registry; null = no cap.</summary>
    public long? Bandwidth { get; init; }

    /// <summary>The HTTP proxy for this registry, over <c>HTTPS_PROXY</c> / <c>HTTP_PROXY</c> / <c>NO_PROXY</c>.</summary>
    public Uri? Proxy { get; init; }

    /// <summary>The address the HTTP API answers on, which differs from the image host for Docker Hub.</summary>
    public string ApiHost => Host == Protocol.ImageReference.DockerHub ? "registry-1.docker.io" : Host;
}
