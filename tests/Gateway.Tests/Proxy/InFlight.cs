namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>Counts what is in flight at a fault proxy (an <c>Around</c> hook) and keeps the peak.</summary>
internal sealed class InFlight
{
    private int _now;
    private int _peak;

    public int Peak => Volatile.Read(ref _peak);

    /// <summary>One more in flight; disposing the result ends it. <paramref name="counts"/> says whether it counts toward the peak.</summary>
    public IDisposable Enter(bool counts = true)
    {
        var now = Interlocked.Increment(ref _now);
        for (var peak = Volatile.Read(ref _peak); counts && now > peak; peak = Volatile.Read(ref _peak))
        {
            if (Interlocked.CompareExchange(ref _peak, now, peak) == peak)
            {
                break;
            }
        }

        return new Leave(this);
    }

    private sealed class Leave(InFlight owner) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                Interlocked.Decrement(ref owner._now);
            }
        }
    }
}
