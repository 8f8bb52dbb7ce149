using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Tests.Selection;

public sealed class SemanticVersionTests
{
    [Theory]
    [InlineData("1.2.3", 1, 2, 3, "", "", "1.2.3")]
    [InlineData("0.0.0", 0, 0, 0, "", "", "0.0.0")]
    [InlineData("10.20.30", 10, 20, 30, "", "", "10.20.30")]
    [InlineData("1.0.0-alpha.1", 1, 0, 0, "alpha.1", "", "1.0.0-alpha.1")]
    [InlineData("1.0.0-x.7.z.92", 1, 0, 0, "x.7.z.92", "", "1.0.0-x.7.z.92")]
    [InlineData("1.0.0-0A.is.legal", 1, 0, 0, "0A.is.legal", "", "1.0.0-0A.is.legal")]
    [InlineData("1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", "", "1.0.0-x-y-z.--")]
    [InlineData("1.0.0+20130313144700", 1, 0, 0, "", "20130313144700", "1.0.0+20130313144700")]
    [InlineData("1.0.0-beta+exp.sha.5114f85", 1, 0, 0, "beta", "exp.sha.5114f85", "1.0.0-beta+exp.sha.5114f85")]
    [InlineData("1.0.0+0.build.1-rc.10000aaa-kk-0.1", 1, 0, 0, "", "0.build.1-rc.10000aaa-kk-0.1", "1.0.0+0.build.1-rc.10000aaa-kk-0.1")]
    [InlineData("20240101123045.0.0", 20240101123045, 0, 0, "", "", "20240101123045.0.0")]
    public void TryParse_ReadsSemver(string tag, long major, long minor, long patch, string prerelease, string build, string canonical)
    {
        Assert.True(SemanticVersion.TryParse(tag, out var version));

        Assert.Equal(tag, version.Tag);
        Assert.Equal((major, minor, patch), (version.Major, version.Minor, version.Patch));
        Assert.Equal(prerelease, string.Join('.', version.Prerelease));
        Assert.Equal(prerelease.Length > 0, version.IsPrerelease);
        Assert.Equal(build, string.Join('.', version.Build));
        Assert.Equal(canonical, version.ToString());
    }

    [Theory]
    [InlineData("v1.2.3", "1.2.3")]
    [InlineData("1.2", "1.2.0")]
    [InlineData("1", "1.0.0")]
    [InlineData("v2", "2.0.0")]
    [InlineData("v1.2-rc.1+b7", "1.2.0-rc.1+b7")]
    [InlineData("1.25-alpine", "1.25.0-alpine")]
    public void TryParse_ToleratesContainerTagSpellings(string tag, string canonical)
    {
        Assert.True(SemanticVersion.TryParse(tag, out var version));

        Assert.Equal(canonical, version.ToString());
        Assert.Equal(tag, version.Tag);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("stable")]
    [InlineData("1.2.3.4")]
    [InlineData("01.2.3")]
    [InlineData("1.02.3")]
    [InlineData("1.2.03")]
    [InlineData("01")]
    [InlineData("1.2.3-01")]
    [InlineData("1.2.3-alpha.01")]
    [InlineData("1.2.3-")]
    [InlineData("1.2.3+")]
    [InlineData("1.2.3-alpha..1")]
    [InlineData("1.2.3-alpha_beta")]
    [InlineData("1..3")]
    [InlineData("1.2.")]
    [InlineData("1.2-")]
    [InlineData("-1.2.3")]
    [InlineData("+build")]
    [InlineData("v")]
    [InlineData("V1.2.3")]
    [InlineData("vv1.2.3")]
    [InlineData("")]
    [InlineData(" 1.2.3")]
    [InlineData("1.2.3 ")]
    [InlineData("1.2.3\n")]
    [InlineData("١.٢.٣")]
    [InlineData("1.2.3-α")]
    [InlineData("99999999999999999999.0.0")]
    [InlineData("sha256-abc.sig")]
    public void TryParse_RefusesWhatIsNotSemver(string tag)
    {
        Assert.False(SemanticVersion.TryParse(tag, out var version));
        Assert.Null(version);
    }

    [Fact]
    public void TryParse_RefusesNull()
    {
        Assert.False(SemanticVersion.TryParse(null, out _));
    }

    [Fact]
    public void CompareTo_OrdersTheSemverSpecExampleOfPrereleases()
    {
        string[] ascending = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"];

        for (var i = 0; i + 1 < ascending.Length; i++)
        {
            Assert.True(Parse(ascending[i]) < Parse(ascending[i + 1]), $"{ascending[i]} < {ascending[i + 1]}");
            Assert.True(Parse(ascending[i + 1]).CompareTo(Parse(ascending[i])) > 0, $"{ascending[i + 1]} > {ascending[i]}");
        }

        var shuffled = ascending.Reverse().Concat(ascending.Where((_, i) => i % 2 == 0)).Distinct().Select(Parse).Order();
        Assert.Equal(ascending, shuffled.Select(v => v.Tag));
    }

    [Theory]
    [InlineData("1.0.0", "2.0.0")]
    [InlineData("2.0.0", "2.1.0")]
    [InlineData("2.1.0", "2.1.1")]
    [InlineData("1.9.0", "1.10.0")]
    [InlineData("9.0.0", "10.0.0")]
    [InlineData("1.0.0-rc.1", "1.0.0")]
    [InlineData("1.0.0", "1.0.1-alpha")]
    [InlineData("1.0.0-1", "1.0.0-a")]
    [InlineData("1.0.0-2", "1.0.0-10")]
    [InlineData("1.0.0-12345678901234567890", "1.0.0-123456789012345678901")]
    [InlineData("1.0.0-Beta", "1.0.0-alpha")]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.0")]
    [InlineData("1.0.0-a.b", "1.0.0-a-b")]
    public void CompareTo_LowerFirst(string lower, string higher)
    {
        Assert.True(Parse(lower).CompareTo(Parse(higher)) < 0);
        Assert.True(Parse(higher).CompareTo(Parse(lower)) > 0);
        Assert.True(Parse(lower) < Parse(higher));
        Assert.True(Parse(lower) <= Parse(higher));
        Assert.True(Parse(higher) > Parse(lower));
        Assert.True(Parse(higher) >= Parse(lower));
        Assert.NotEqual(Parse(lower), Parse(higher));
    }

    [Theory]
    [InlineData("1.0.0+a", "1.0.0+b")]
    [InlineData("1.0.0", "1.0.0+20130313144700")]
    [InlineData("1.2.3", "v1.2.3")]
    [InlineData("1.2", "1.2.0")]
    [InlineData("1", "1.0.0")]
    [InlineData("1.0.0-rc.1+b1", "v1.0.0-rc.1+b2")]
    public void Precedence_IgnoresBuildMetadataAndSpelling(string left, string right)
    {
        var a = Parse(left);
        var b = Parse(right);

        Assert.Equal(0, a.CompareTo(b));
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals(b));
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a.Tag, b.Tag);
    }

    [Fact]
    public void CompareTo_PutsNullLowest()
    {
        var version = Parse("0.0.0-0");

        Assert.True(version.CompareTo(null) > 0);
        Assert.True(null < version);
        Assert.False(version.Equals(null));
    }

    [Fact]
    public void HasSameCore_IgnoresPrereleaseAndBuild()
    {
        Assert.True(Parse("1.2.3-rc.1").HasSameCore(Parse("1.2.3+b")));
        Assert.False(Parse("1.2.3-rc.1").HasSameCore(Parse("1.2.4-rc.1")));
    }

    private static SemanticVersion Parse(string tag) =>
        SemanticVersion.TryParse(tag, out var version) ? version : throw new FormatException(tag);
}
