using SyncGateway.Registry.Limits;

namespace SyncGateway.Registry.Tests.Limits;

public sealed class AdaptiveConcurrencyTests
{
    [Fact]
    public async Task ARefusal_HalvesTheLimit_OncePerWindow_AndAWindowOfSuccessesGrowsItByOne()
    {
        var limiter = new AdaptiveConcurrency(8);
        var leases = new List<AdaptiveConcurrency.Lease>();
        for (var i = 0; i < 8; i++)
        {
            leases.Add(await limiter.AcquireAsync(default));
        }

        // A storm: every request in flight is refused, but only the first answer of the window halves.
        Assert.Equal(4, limiter.Refused(leases[0].Epoch));
        Assert.Null(limiter.Refused(leases[1].Epoch));
        leases.ForEach(l => l.Dispose());
        using (var next = await limiter.AcquireAsync(default))
        {
            Assert.Equal(2, limiter.Refused(next.Epoch));
        }

        using (var last = await limiter.AcquireAsync(default))
        {
            Assert.Equal(1, limiter.Refused(last.Epoch));
            Assert.Null(limiter.Refused(last.Epoch));
        }

        // The storm is over: +1 per window of as many successes as the limit, back to the maximum.
        var seen = new List<int>();
        for (var i = 0; i < 100 && limiter.Limit < 8; i++)
        {
            if (limiter.Succeeded() is { } raised)
            {
                seen.Add(raised);
            }
        }

        Assert.Equal([2, 3, 4, 5, 6, 7, 8], seen);
        Assert.Null(limiter.Succeeded());
    }

    [Fact]
    public async Task AtTheLimit_ARequestWaits_UntilASlotIsFree()
    {
        var limiter = new AdaptiveConcurrency(1);
        var first = await limiter.AcquireAsync(default);

        var second = limiter.AcquireAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        first.Dispose();
        using var granted = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, limiter.Limit);
    }

    [Fact]
    public async Task WithoutAMaximum_ThereIsNoCap_UntilTheFirstRefusal_ThenItGrowsBackToWhereItStood()
    {
        var limiter = new AdaptiveConcurrency(null);
        var leases = new List<AdaptiveConcurrency.Lease>();
        for (var i = 0; i < 6; i++)
        {
            leases.Add(await limiter.AcquireAsync(default));
        }

        Assert.Null(limiter.Limit);
        Assert.Equal(3, limiter.Refused(leases[5].Epoch));
        leases.ForEach(l => l.Dispose());
        for (var i = 0; i < 50; i++)
        {
            limiter.Succeeded();
        }

        Assert.Equal(6, limiter.Limit);
    }

    [Fact]
    public async Task AWaiterThatGivesUp_DoesNotKeepASlot()
    {
        var limiter = new AdaptiveConcurrency(1);
        var first = await limiter.AcquireAsync(default);
        using var cancel = new CancellationTokenSource();
        var gaveUp = limiter.AcquireAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);

        first.Dispose();
        using var next = await limiter.AcquireAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }
}
