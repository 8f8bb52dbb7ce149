using Microsoft.Extensions.Time.Testing;
using SyncGateway.Gateway.Proxy;

namespace SyncGateway.Gateway.Tests.Proxy;

public sealed class TtlCacheTests
{
    [Fact]
    public void Entries_LiveTheirLifetime_OnTheClock_AndTryAddWinsOnceUntilThen()
    {
        var time = new FakeTimeProvider();
        var cache = new TtlCache<string, int>(time);

        Assert.True(cache.TryAdd("image", 1, TimeSpan.FromSeconds(30)));
        Assert.False(cache.TryAdd("image", 2, TimeSpan.FromSeconds(30)));
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(cache.TryGet("image", out var value));
        Assert.Equal(1, value);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet("image", out _));
        Assert.True(cache.TryAdd("image", 3, TimeSpan.FromSeconds(30)));
    }
}
