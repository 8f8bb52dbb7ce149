namespace SyncGateway.Registry.Limits;

/// <summary>
/// How many requests may be in flight to one registry, adapted to what it says: on a 429 or 503
/// the limit halves (once per window: answers to requests sent before that decrease do not halve
/// it again), and after a window of successes (as many as the limit) it grows by one, up to the
/// configured maximum, or, when none is configured, up to where it stood when the first refusal
/// came. Without a configured maximum there is no cap until the registry first refuses.
/// </summary>
internal sealed class AdaptiveConcurrency(int? maximum)
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private int? _limit = maximum;
    private int? _ceiling = maximum;
    private int _inFlight;
    private int _successes;
    private long _epoch;

    /// <summary>The limit now; null while there is none.</summary>
    public int? Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>Waits for a slot; dispose the lease when the request (and its body) is done.</summary>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_limit is not { } limit || _inFlight < limit)
            {
                _inFlight++;
                return new Lease(this, _epoch);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter);
        }

        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                // Granted meanwhile: give the slot on; else it stays queued and is skipped when granted.
                if (waiter.Task.IsCompletedSuccessfully)
                {
                    ReleaseLocked();
                }
                else
                {
                    waiter.TrySetCanceled(cancellationToken);
                }
            }

            throw;
        }

        lock (_gate)
        {
            return new Lease(this, _epoch);
        }
    }

    /// <summary>The registry refused a request sent in <paramref name="epoch"/>; returns the new limit when it changed.</summary>
    public int? Refused(long epoch)
    {
        lock (_gate)
        {
            if (epoch < _epoch)
            {
                return null;
            }

            var current = _limit ?? Math.Max(1, _inFlight);
            _ceiling ??= current;
            _limit = Math.Max(1, current / 2);
            _successes = 0;
            _epoch++;
            return _limit;
        }
    }

    /// <summary>A request succeeded; returns the new limit when a window of successes raised it.</summary>
    public int? Succeeded()
    {
        lock (_gate)
        {
            if (_limit is not { } limit || _ceiling is not { } ceiling || limit >= ceiling || ++_successes < limit)
            {
                return null;
            }

            _successes = 0;
            _limit = limit + 1;
            GrantLocked();
            return _limit;
        }
    }

    private void Release()
    {
        lock (_gate)
        {
            ReleaseLocked();
        }
    }

    private void ReleaseLocked()
    {
        _inFlight--;
        GrantLocked();
    }

    private void GrantLocked()
    {
        while (_waiting.Count > 0 && (_limit is not { } limit || _inFlight < limit))
        {
            var next = _waiting.Dequeue();
            if (next.TrySetResult())
            {
                _inFlight++;
            }
        }
    }

    /// <summary>One request's slot; <see cref="Epoch"/> says which window it was sent in.</summary>
    internal sealed class Lease(AdaptiveConcurrency owner, long epoch) : IDisposable
    {
        private int _released;

        public long Epoch { get; } = epoch;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
