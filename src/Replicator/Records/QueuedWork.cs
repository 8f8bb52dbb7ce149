namespace SyncGateway.Replicator.Records;

/// <summary>A copy waiting in the durable queue: what, from which rule, why, and how it went so far.</summary>
public sealed record QueuedWork(string Rule, string Source, string Destination, string Cause)
{
    public long Id { get; init; }

    public DateTimeOffset EnqueuedAt { get; init; }

    public int Attempts { get; init; }

    public string? LastError { get; init; }

    /// <summary>How many events this entry has collapsed so far; completing an older one keeps it.</summary>
    public long Generation { get; init; } = 1;
}
