namespace SyncGateway.Replicator.Copying;

/// <summary>
/// The process's blob stream slots (<c>--proc</c>). When every slot is taken, a freed slot goes to
/// the waiting stream whose blob the most images in flight need (so that a blob shared by many
/// goes first and the rest mount it instead of waiting behind other uploads), the oldest first
/// among equals. A waiter's priority is asked when a slot frees, so it counts images that arrived
/// while it waited.
/// </summary>
internal sealed class TransferGate(int slots)
{
    private readonly Lock _gate = new();
    private readonly List<Waiter> _waiters = [];
    private int _free = slots;

    /// <summary>Slots free now (for tests and diagnostics).</summary>
    public int Free
    {
        get
        {
            lock (_gate)
            {
                return _free;
            }
        }
    }

    /// <summary>Takes a slot; <paramref name="priority"/> says how much the stream is wanted (higher goes first).</summary>
    public async Task WaitAsync(Func<int> priority, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_free > 0)
            {
                _free--;
                return;
            }

            waiter = new Waiter(priority);
            _waiters.Add(waiter);
        }

        try
        {
            await waiter.Granted.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                if (!_waiters.Remove(waiter))
                {
                    // The slot was granted as the wait was cancelled: give it on.
                    ReleaseLocked();
                }
            }

            throw;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            ReleaseLocked();
        }
    }

    private void ReleaseLocked()
    {
        if (_waiters.Count == 0)
        {
            _free++;
            return;
        }

        var next = _waiters[0];
        var best = next.Priority();
        for (var i = 1; i < _waiters.Count; i++)
        {
            var priority = _waiters[i].Priority();
            if (priority > best)
            {
                (next, best) = (_waiters[i], priority);
            }
        }

        _waiters.Remove(next);
        next.Granted.TrySetResult();
    }

    private sealed class Waiter(Func<int> priority)
    {
        public Func<int> Priority { get; } = priority;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
