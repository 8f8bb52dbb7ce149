using SyncGateway.Gateway.Live;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Queue;

namespace SyncGateway.Gateway.Replication;

/// <summary><c>--role all</c>: the image's copies go straight into this process's durable queue.</summary>
internal sealed class LocalReplicationEvents(LiveConfiguration live, ReplicationQueue queue) : IReplicationEvents
{
    public Task<int> PublishAsync(ImageReference image, string cause, CancellationToken cancellationToken) =>
        queue.EnqueueAsync(RuleTasks.TasksForImage(live.Configuration, image), cause, cancellationToken);
}
