namespace SyncGateway.Replicator.Configuration;

/// <summary>Where a run's configuration comes from: <c>--config</c>, or <c>--auth</c> with <c>--images</c>.</summary>
public sealed record ConfigurationSources
{
    public string? ConfigFile { get; init; }

    public string? AuthFile { get; init; }

    public string? ImagesFile { get; init; }

    public SyncDefaults Defaults { get; init; } = new(null, null);
}
