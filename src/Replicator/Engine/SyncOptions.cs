using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Replicator.Engine;

/// <summary>The knobs of one run, after flags have overridden the file.</summary>
public sealed record SyncOptions
{
    /// <summary>Blob streams at once, in the whole process (and so memory: this times a buffer).</summary>
    public int Concurrency { get; init; } = 5;

    /// <summary>
    /// Images being worked on at once: tag lists, HEADs, manifest GETs and blob checks, which cost a
    /// round trip each and little else. Far more than <see cref="Concurrency"/>, so that latency is
    /// hidden; streams still wait for one of the <see cref="Concurrency"/> slots.
    /// </summary>
    public int ImagesInFlight
    {
        get => Math.Max(field, Concurrency);
        init;
    } = DefaultImagesInFlight;

    /// <summary>Enough to hide ~50 ms round trips at about a thousand requests a second.</summary>
    public const int DefaultImagesInFlight = 64;

    public int Retries { get; init; } = 2;

    /// <summary>The first retry's delay; later ones double, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public bool Force { get; init; }

    public PlatformFilter Platforms { get; init; } = new([], []);

    /// <summary>Whether a run's summary keeps the result of every image in sync (for output files), or only failures and conflicts.</summary>
    public bool KeepSucceeded { get; init; } = true;

    /// <summary>The part of the plan this process copies: the source repositories whose hash falls to it.</summary>
    public Shard Shard { get; init; } = Shard.Whole;

    /// <summary>The SQLite records file; null runs without records.</summary>
    public string? RecordsPath { get; init; }
}
