using SyncGateway.Replicator.Copying;

namespace SyncGateway.Replicator.Engine;

/// <summary>The knobs of one run, after flags have overridden the file.</summary>
public sealed record SyncOptions
{
    public int Concurrency { get; init; } = 5;

    public int Retries { get; init; } = 2;

    /// <summary>The first retry's delay; later ones double, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public bool Force { get; init; }

    public PlatformFilter Platforms { get; init; } = new([], []);

    /// <summary>The SQLite records file; null runs without records.</summary>
    public string? RecordsPath { get; init; }
}
