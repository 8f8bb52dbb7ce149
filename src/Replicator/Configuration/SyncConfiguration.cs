using SyncGateway.Registry.Transport;

namespace SyncGateway.Replicator.Configuration;

/// <summary>Everything a run needs, whichever file format it came from.</summary>
public sealed record SyncConfiguration
{
    /// <summary>Connection settings by host (or host/namespace prefix).</summary>
    public required IReadOnlyList<RegistryEndpoint> Registries { get; init; }

    public required IReadOnlyList<SyncRule> Rules { get; init; }

    /// <summary>Rules whose source is a pattern: their repositories are discovered through the source's catalog.</summary>
    public IReadOnlyList<PatternRule> PatternRules { get; init; } = [];

    public ReplicatorSettings Replicator { get; init; } = new();

    public GatewaySettings? Gateway { get; init; }
}
