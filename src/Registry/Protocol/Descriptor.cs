namespace SyncGateway.Registry.Protocol;

/// <summary>An OCI content descriptor: what a manifest says about one piece of content.</summary>
public sealed record Descriptor
{
    public required string MediaType { get; init; }

    public required Digest Digest { get; init; }

    public required long Size { get; init; }

    /// <summary>What kind of artifact the content is (a referrer's <c>artifactType</c>), when given.</summary>
    public string? ArtifactType { get; init; }

    /// <summary>The platform of an index entry, when the index gives one.</summary>
    public Platform? Platform { get; init; }
}

/// <summary>The platform an index entry is built for.</summary>
public sealed record Platform(string Os, string Architecture, string? Variant)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
