using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Engine;

public enum SyncStatus
{
    Synced,
    AlreadyInSync,
    Failed,

    /// <summary>The destination tag has another digest and the rule does not overwrite: left alone.</summary>
    Conflict,
}

/// <summary>
/// How one task ended: the digest at the destination, or why it failed. <see cref="SourceGone"/>
/// says the failure is that the source no longer has the image, which no retry can cure.
/// </summary>
public sealed record TaskResult(SyncTask Task, SyncStatus Status, Digest? Digest, string? Error)
{
    public bool SourceGone { get; init; }

    /// <summary>The source index's digest, when a rule's platforms made the destination's a new index (<see cref="Digest"/>).</summary>
    public Digest? RewrittenFrom { get; init; }
}
