using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Replicator.Tests.Configuration;

public sealed class EnvironmentExpanderTests
{
    private static readonly Func<string, string?> Lookup = name => name == "USER_X" ? "alice" : null;

    [Theory]
    [InlineData("${USER_X}", "alice")]
    [InlineData("robot$name", "robot$name")]
    [InlineData("a$", "a$")]
    [InlineData("pre-${USER_X}-post", "pre-alice-post")]
    [InlineData("$$", "$")]
    [InlineData("${unclosed", "${unclosed")]
    public void Native_Expands(string text, string expected)
    {
        Assert.Equal(expected, EnvironmentExpander.Native(Lookup).Expand(text, out _));
    }

    [Fact]
    public void ImageSyncer_KeepsDoubleDollar()
    {
        Assert.Equal("pa$$word", EnvironmentExpander.ImageSyncer(Lookup).Expand("pa$$word", out _));
    }

    [Fact]
    public void MissingVariable_IsNamed()
    {
        Assert.Null(EnvironmentExpander.Native(Lookup).Expand("${NOPE}", out var missing));
        Assert.Equal("NOPE", missing);
    }
}
