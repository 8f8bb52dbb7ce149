using System.Collections.Concurrent;
using System.Threading.Channels;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Replicator.Running;

/// <summary>
/// Work waiting to be replicated, with duplicates collapsed: a task already waiting or running is
/// not queued again, however many pushes or reads ask for it. (In memory for now; the durable
/// SQLite queue of the daemon replaces it.)
/// </summary>
public sealed class ReplicationQueue
{
    private readonly Channel<SyncTask> _channel = Channel.CreateUnbounded<SyncTask>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, SyncTask> _pending = new(StringComparer.Ordinal);

    /// <summary>Tasks waiting or running.</summary>
    public int Depth => _pending.Count;

    /// <summary>Queues a task; false when the same copy is already waiting or running.</summary>
    public bool Enqueue(SyncTask task)
    {
        if (!_pending.TryAdd(task.ToString(), task))
        {
            return false;
        }

        _channel.Writer.TryWrite(task);
        return true;
    }

    /// <summary>Waits for work, then takes what is waiting, up to <paramref name="max"/> tasks.</summary>
    public async Task<IReadOnlyList<SyncTask>> TakeAsync(int max, CancellationToken cancellationToken)
    {
        var first = await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var batch = new List<SyncTask> { first };
        while (batch.Count < max && _channel.Reader.TryRead(out var next))
        {
            batch.Add(next);
        }

        return batch;
    }

    /// <summary>Marks a task finished, so a later event may queue it again.</summary>
    public void Done(SyncTask task) => _pending.TryRemove(task.ToString(), out _);
}
