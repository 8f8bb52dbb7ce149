namespace SyncGateway.Replicator.Records;

/// <summary>A copy that failed, and why.</summary>
public sealed record FailureRecord(string Source, string Destination, string Reason, DateTimeOffset FailedAt);
