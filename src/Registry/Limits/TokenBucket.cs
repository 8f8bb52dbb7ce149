namespace SyncGateway.Registry.Limits;

/// <summary>
/// A rate on the injected clock: <see cref="TakeAsync"/> takes what it needs and waits while the
/// bucket is in debt, so many takers share the rate. The bucket holds at most one second's worth
/// (or <paramref name="burst"/>), so an idle spell does not turn into a flood.
/// </summary>
internal sealed class TokenBucket(double perSecond, TimeProvider time, double? burst = null)
{
    private readonly Lock _gate = new();
    private readonly double _capacity = Math.Max(burst ?? perSecond, 1);
    private double _tokens = Math.Max(burst ?? perSecond, 1);
    private long _stamp = time.GetTimestamp();

    public double PerSecond => perSecond;

    public async ValueTask TakeAsync(double amount, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_stamp, now).TotalSeconds * perSecond));
            _stamp = now;
            _tokens -= amount;
            wait = _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / perSecond);
        }

        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
