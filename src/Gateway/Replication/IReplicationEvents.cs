using SyncGateway.Registry.Protocol;

namespace SyncGateway.Gateway.Replication;

/// <summary>Where the gateway reports an image to replicate: its own queue, or a replicator elsewhere.</summary>
internal interface IReplicationEvents
{
    /// <summary>Reports tagged images of the source; returns how many copies were newly queued.</summary>
    Task<int> PublishAsync(ImageReference image, string cause, CancellationToken cancellationToken);
}
