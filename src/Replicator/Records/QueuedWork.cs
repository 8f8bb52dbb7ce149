namespace SyncGateway.Replicator.Records;

/// <summary>A copy waiting in the durable queue: what, from which rule, why, and how it went so far.</summary>
public sealed record QueuedWork(string Rule, string Source, string Destination, string Cause)
{
    public long Id { get; init; }

    public DateTimeOffset EnqueuedAt { get; init; }

    public int Attempts { get; init; }

    public string? LastError { get; init; }
}
