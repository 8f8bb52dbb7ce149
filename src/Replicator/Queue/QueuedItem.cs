using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Queue;

/// <summary>An entry taken from the queue: the record as it was taken (with its generation), and the copy it stands for.</summary>
public sealed record QueuedItem(QueuedWork Work, SyncTask Task);
