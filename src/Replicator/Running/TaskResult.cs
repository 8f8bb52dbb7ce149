using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Replicator.Running;

public enum SyncStatus
{
    Synced,
    AlreadyInSync,
    Failed,
}

/// <summary>How one task ended: the digest at the destination, or why it failed.</summary>
public sealed record TaskResult(SyncTask Task, SyncStatus Status, Digest? Digest, string? Error);
