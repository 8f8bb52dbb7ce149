using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Queue;

/// <summary>
/// The durable work queue, in the records. An event is written (and committed) before anyone is
/// told it was taken. An entry's identity (source, destination) collapses duplicates; its
/// generation counts events, so an event that comes while the entry is being copied makes it run
/// again when that copy ends, and no update is lost. Work that fails stays visible with its
/// reason and comes back after a growing pause, never blocking the rest. Each worker slot takes
/// one entry at a time; an entry is never taken twice at once. A restarted process finds
/// everything it had not finished.
/// </summary>
public sealed class ReplicationQueue(RecordStore records, TimeProvider time)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(10);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly SemaphoreSlim _taking = new(1, 1);
    private readonly HashSet<long> _running = [];

    /// <summary>Hears every change of the queue's depth (for a gauge).</summary>
    public event Action<int>? DepthChanged;

    /// <summary>
    /// Records the tasks; returns how many copies this makes happen: new entries, and entries that
    /// are being copied now and will run again. An entry that was waiting anyway counts as nothing.
    /// </summary>
    public async Task<int> EnqueueAsync(IReadOnlyList<SyncTask> tasks, string cause, CancellationToken cancellationToken)
    {
        if (tasks.Count == 0)
        {
            return 0;
        }

        var entries = await records.Queue.EnqueueAsync(tasks.Select(t => new QueuedWork(t.Rule, t.Source.ToString(), t.Destination.ToString(), cause)), cancellationToken).ConfigureAwait(false);
        int effective;
        lock (_running)
        {
            effective = entries.Count(e => e.New || _running.Contains(e.Id));
        }

        _signal.Release();
        await ReportDepthAsync().ConfigureAwait(false);
        return effective;
    }

    public Task<int> DepthAsync(CancellationToken cancellationToken) => records.Queue.DepthAsync(cancellationToken);

    /// <summary>How many entries are being copied now.</summary>
    public int Running
    {
        get
        {
            lock (_running)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>
    /// Waits until an entry that nobody is copying is due (looking again every <paramref name="idle"/>
    /// for retries that came due), and takes it. Give it back with <see cref="CompleteAsync"/>,
    /// <see cref="PostponeAsync"/> or <see cref="Release"/>.
    /// </summary>
    public async Task<QueuedItem> TakeAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        await _taking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                int running;
                lock (_running)
                {
                    running = _running.Count;
                }

                // Signals that came while nobody waited are all answered by this one look.
                while (_signal.Wait(0))
                {
                }

                var due = await records.Queue.DueAsync(running + 1, cancellationToken).ConfigureAwait(false);
                QueuedWork? taken;
                lock (_running)
                {
                    taken = due.FirstOrDefault(w => !_running.Contains(w.Id));
                    if (taken is not null)
                    {
                        _running.Add(taken.Id);
                    }
                }

                if (taken is not null)
                {
                    if (ImageReference.TryParse(taken.Source, out var source, out _) && ImageReference.TryParse(taken.Destination, out var destination, out var error))
                    {
                        return new QueuedItem(taken, new SyncTask(taken.Rule, source, destination));
                    }

                    // A row no SyncGateway could have written: keep it visible, but out of the way.
                    await records.Queue.PostponeAsync(taken.Id, taken.Generation, $"not an image reference: {taken.Source} -> {taken.Destination}", LongestRetry, cancellationToken).ConfigureAwait(false);
                    lock (_running)
                    {
                        _running.Remove(taken.Id);
                    }

                    continue;
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
        finally
        {
            _taking.Release();
        }
    }

    /// <summary>
    /// The copy is done. Returns false when a newer event came while it ran: then the entry stays,
    /// due at once, and runs again.
    /// </summary>
    public async Task<bool> CompleteAsync(QueuedItem item, CancellationToken cancellationToken)
    {
        bool ended;
        try
        {
            ended = await records.Queue.CompleteAsync(item.Work.Id, item.Work.Generation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release(item);
        }

        await ReportDepthAsync().ConfigureAwait(false);
        return ended;
    }

    /// <summary>Puts failed work back, after 5 s, 10 s, 20 s ... up to 10 minutes (at once when a newer event came).</summary>
    public async Task PostponeAsync(QueuedItem item, string error, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks * (1L << Math.Min(item.Work.Attempts, 16))));
        try
        {
            await records.Queue.PostponeAsync(item.Work.Id, item.Work.Generation, error, delay, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release(item);
        }
    }

    /// <summary>Gives an entry back untouched (shutdown): it stays queued as it was.</summary>
    public void Release(QueuedItem item)
    {
        lock (_running)
        {
            _running.Remove(item.Work.Id);
        }

        // Another slot may be waiting for exactly this entry (a newer event re-armed it).
        _signal.Release();
    }

    private async Task ReportDepthAsync()
    {
        if (DepthChanged is { } observer)
        {
            observer(await records.Queue.DepthAsync(CancellationToken.None).ConfigureAwait(false));
        }
    }
}
