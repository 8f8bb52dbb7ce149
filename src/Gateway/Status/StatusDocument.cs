using SyncGateway.Replicator.Records;

namespace SyncGateway.Gateway.Status;

/// <summary>The body of <c>/api/status</c>; its parts are nested, as only this document uses them.</summary>
internal sealed record StatusDocument(
    string Role,
    StatusDocument.ShardPart? Shard,
    IEnumerable<StatusDocument.UpstreamPart> Upstreams,
    IEnumerable<StatusDocument.RulePart> Rules,
    StatusDocument.LastSyncPart? LastSync,
    StatusDocument.QueuePart Queue,
    IReadOnlyList<FailureRecord> RecentFailures)
{
    /// <summary>The shard of <c>--shard</c>/<c>--shards</c> this process runs.</summary>
    internal sealed record ShardPart(int Index, int Count);

    /// <summary>An upstream the gateway probed.</summary>
    internal sealed record UpstreamPart(string Role, string Host, bool Reachable);

    /// <summary>A rule (or a pattern rule) in force.</summary>
    internal sealed record RulePart(string Rule, string Source, string Tags, IEnumerable<string> Destinations, bool Overwrite);

    /// <summary>What the last reconciliation found.</summary>
    internal sealed record LastSyncPart(DateTimeOffset At, int Synced, int AlreadyInSync, int Failed, int Conflicts);

    /// <summary>The durable queue: its depth and its first entries.</summary>
    internal sealed record QueuePart(int Depth, IEnumerable<QueueItemPart> Items);

    /// <summary>A copy waiting in the queue.</summary>
    internal sealed record QueueItemPart(string Source, string Destination, string Cause, DateTimeOffset EnqueuedAt, int Attempts, string? LastError);
}
