using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Replicator.Running;

/// <summary>
/// The durable work queue, in the records: an event is written (and committed) before anyone is
/// told it was taken, duplicates collapse into the copy already waiting or running, and work that
/// fails stays visible with its reason and comes back after a growing pause, never blocking the
/// rest. A restarted process finds everything it had not finished.
/// </summary>
public sealed class ReplicationQueue(RecordStore records, TimeProvider time)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(10);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Records the tasks; returns how many were not already waiting.</summary>
    public async Task<int> EnqueueAsync(IReadOnlyList<SyncTask> tasks, string cause, CancellationToken cancellationToken)
    {
        if (tasks.Count == 0)
        {
            return 0;
        }

        var added = await records.EnqueueAsync(tasks.Select(t => new QueuedWork(t.Rule, t.Source.ToString(), t.Destination.ToString(), cause)), cancellationToken).ConfigureAwait(false);
        if (added > 0)
        {
            _signal.Release();
        }

        return added;
    }

    public Task<int> DepthAsync(CancellationToken cancellationToken) => records.QueueDepthAsync(cancellationToken);

    /// <summary>Waits until work is due (or <paramref name="idle"/> passes, to look for retries that came due), then takes it.</summary>
    public async Task<IReadOnlyList<(QueuedWork Work, SyncTask Task)>> TakeAsync(int max, TimeSpan idle, CancellationToken cancellationToken)
    {
        while (true)
        {
            var due = await records.DueAsync(max, cancellationToken).ConfigureAwait(false);
            if (due.Count > 0)
            {
                return due.Select(w => (w, new SyncTask(w.Rule, ImageReference.Parse(w.Source), ImageReference.Parse(w.Destination)))).ToList();
            }

            using var timeout = new CancellationTokenSource(idle, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await _signal.WaitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // idle time is up: look for retries that have come due
            }
        }
    }

    public Task CompleteAsync(QueuedWork work, CancellationToken cancellationToken) => records.CompleteAsync(work.Id, cancellationToken);

    /// <summary>Puts failed work back, after 5 s, 10 s, 20 s ... up to 10 minutes.</summary>
    public Task PostponeAsync(QueuedWork work, string error, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks * (1L << Math.Min(work.Attempts, 16))));
        return records.PostponeAsync(work.Id, error, delay, cancellationToken);
    }
}
