using SyncGateway.Gateway.Hosting;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Replication;

/// <summary><c>--role all</c>: the image's copies go straight into this process's durable queue.</summary>
internal sealed class LocalReplicationEvents(LiveConfiguration live, ReplicationQueue queue) : IReplicationEvents
{
    public Task<int> PublishAsync(ImageReference image, string cause, CancellationToken cancellationToken) =>
        queue.EnqueueAsync(Planner.TasksForImage(live.Current.Configuration.Rules, image), cause, cancellationToken);
}
