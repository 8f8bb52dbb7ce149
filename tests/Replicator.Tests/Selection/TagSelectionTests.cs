using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Tests.Selection;

public sealed class TagSelectionTests
{
    [Fact]
    public void Latest_TakesTheHighestSemverTags_HighestFirst_DroppingTheRest()
    {
        string[] tags = ["1.0.0", "latest", "2.0.0", "1.5.0", "v2.1.0", "main", "1.5.0-rc.1", "sha256-abc.sig"];

        Assert.Equal(["v2.1.0", "2.0.0"], TagSelection.Latest(tags, 2));
        Assert.Equal(["v2.1.0", "2.0.0", "1.5.0", "1.5.0-rc.1", "1.0.0"], TagSelection.Latest(tags, 10));
    }

    [Fact]
    public void Latest_ComparesNumbersNumerically()
    {
        Assert.Equal(["1.10.0"], TagSelection.Latest(["1.9.0", "1.10.0", "1.2.0"], 1));
    }

    [Fact]
    public void Latest_RanksAPrereleaseBelowItsRelease()
    {
        Assert.Equal(["2.0.0", "2.0.0-rc.1"], TagSelection.Latest(["2.0.0-rc.1", "1.9.0", "2.0.0"], 2));
    }

    [Fact]
    public void Latest_KeepsEveryTagOfEqualPrecedence_InOrdinalOrder()
    {
        string[] tags = ["v1.2.3", "1.2.2", "1.2.3+b2", "1.2.3", "1.2.3+b1", "1.2.1"];

        Assert.Equal(["1.2.3", "1.2.3+b1", "1.2.3+b2", "v1.2.3"], TagSelection.Latest(tags, 1));
        Assert.Equal(["1.2.3", "1.2.3+b1", "1.2.3+b2", "v1.2.3", "1.2.2"], TagSelection.Latest(tags, 2));
        Assert.Equal(["1.2", "1.2.0", "v1.2"], TagSelection.Latest(["v1.2", "1.2.0", "1.1", "1.2"], 1));
    }

    [Fact]
    public void Latest_DoesNotDependOnTheListingOrder()
    {
        string[] tags = ["3.0.0", "v3.0.0", "2.9.1", "1.0.0", "3.0.0-beta", "2.9.1+meta"];
        var expected = TagSelection.Latest(tags, 3);

        Assert.Equal(expected, TagSelection.Latest(tags.Reverse(), 3));
        Assert.Equal(expected, TagSelection.Latest(tags.OrderBy(t => t.Length).ThenBy(t => t, StringComparer.Ordinal), 3));
        Assert.Equal(["3.0.0", "v3.0.0", "3.0.0-beta", "2.9.1", "2.9.1+meta"], expected);
    }

    [Fact]
    public void Latest_KeepsATagListedTwiceOnce()
    {
        Assert.Equal(["1.0.0", "0.9.0"], TagSelection.Latest(["1.0.0", "0.9.0", "1.0.0"], 2));
    }

    [Fact]
    public void Latest_OfNothingSemver_IsEmpty()
    {
        Assert.Empty(TagSelection.Latest(["latest", "main", "stable"], 5));
        Assert.Empty(TagSelection.Latest([], 5));
    }

    [Fact]
    public void Latest_Zero_IsEmpty_AndNegativeIsRefused()
    {
        Assert.Empty(TagSelection.Latest(["1.0.0"], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TagSelection.Latest(["1.0.0"], -1));
    }

    [Fact]
    public void Satisfying_KeepsTheListingOrder_DroppingNonSemverTags()
    {
        Assert.True(SemverRange.TryParse(">=1.2.0 <2.0.0", includePrerelease: false, out var range, out _));

        string[] tags = ["1.9.0", "latest", "1.2.0", "2.0.0", "1.5.0-rc.1", "v1.3", "1.1.0"];

        Assert.Equal(["1.9.0", "1.2.0", "v1.3"], TagSelection.Satisfying(tags, range));
    }

    [Fact]
    public void SatisfyingThenLatest_IsTheRulesSemverAndLatestKeys()
    {
        Assert.True(SemverRange.TryParse("^1.2", includePrerelease: false, out var range, out _));
        string[] tags = ["1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.4.0-rc.1", "2.0.0", "edge"];

        Assert.Equal(["1.3.0", "1.2.1"], TagSelection.Latest(TagSelection.Satisfying(tags, range), 2));
    }
}
