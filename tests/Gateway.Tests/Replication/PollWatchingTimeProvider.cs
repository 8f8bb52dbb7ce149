using Microsoft.Extensions.Time.Testing;

namespace SyncGateway.Gateway.Tests.Replication;

/// <summary>A fake clock that counts the timers made for one interval: how often the reconciler has started waiting for a poll.</summary>
internal sealed class PollWatchingTimeProvider(DateTimeOffset start, TimeSpan pollInterval) : FakeTimeProvider(start)
{
    private int _pollWaits;

    public int PollWaits => Volatile.Read(ref _pollWaits);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Counted once made, so a clock moved on after the count cannot move the timer's due time.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime == pollInterval)
        {
            Interlocked.Increment(ref _pollWaits);
        }

        return timer;
    }
}
