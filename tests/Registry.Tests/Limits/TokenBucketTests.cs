using Microsoft.Extensions.Time.Testing;
using SyncGateway.Registry.Limits;

namespace SyncGateway.Registry.Tests.Limits;

public sealed class TokenBucketTests
{
    [Fact]
    public async Task TakersShareTheRate_OnTheClock_WaitingWhileTheBucketIsInDebt()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(10, time);

        // One second's worth goes at once; the next one waits for its tenth of a second.
        for (var i = 0; i < 10; i++)
        {
            await bucket.TakeAsync(1, default);
        }

        var eleventh = bucket.TakeAsync(1, default).AsTask();
        Assert.False(eleventh.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(eleventh.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await eleventh.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnIdleSpell_DoesNotTurnIntoAFlood()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(100, time);
        time.Advance(TimeSpan.FromHours(1));

        await bucket.TakeAsync(100, default);
        var more = bucket.TakeAsync(50, default).AsTask();

        Assert.False(more.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await more.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
