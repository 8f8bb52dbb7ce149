using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Replicator.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1.5m", 90)]
    [InlineData("00:02:00", 120)]
    public void TryParse_ReadsOperatorDurations(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("five minutes")]
    [InlineData("5x")]
    [InlineData("-00:01:00")]
    [InlineData("")]
    public void TryParse_RejectsTheRest(string text)
    {
        Assert.False(Duration.TryParse(text, out _));
    }
}
