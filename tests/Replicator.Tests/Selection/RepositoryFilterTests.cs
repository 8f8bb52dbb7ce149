using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Tests.Selection;

public sealed class RepositoryFilterTests
{
    [Theory]
    [InlineData("app-*", "app-web", true)]
    [InlineData("app-*", "web", false)]
    [InlineData("app-*", "app-web/api", false)]
    [InlineData("app-*", "my-app-web", false)]
    [InlineData("*-tmp", "x-tmp", true)]
    [InlineData("*-tmp", "x-tmp-keep", false)]
    [InlineData("team/*-tmp", "team/x-tmp", true)]
    [InlineData("team/*-tmp", "team/a/x-tmp", false)]
    [InlineData("*", "app", true)]
    [InlineData("*", "team/app", false)]
    [InlineData("*/*", "team/app", true)]
    [InlineData("*/*", "team/app/api", false)]
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c", true)]
    [InlineData("**/api", "x/api", true)]
    [InlineData("**/api", "x/y/api", true)]
    [InlineData("**/api", "api", false)]
    [InlineData("a/**", "a/b", true)]
    [InlineData("a/**", "a/b/c", true)]
    [InlineData("a/**", "a", false)]
    [InlineData("a/**/z", "a/b/c/z", true)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.b", "axb", false)]
    [InlineData("svc-*-api", "svc-pay-api", true)]
    [InlineData("svc-*-api", "svc-pay/x-api", false)]
    public void Glob_StarWithinAComponent_DoubleStarAcrossThem(string glob, string path, bool expected)
    {
        Assert.Equal(expected, Pattern(glob).Matches(path));
    }

    [Theory]
    [InlineData("/^svc-/", "svc-a", true)]
    [InlineData("/^svc-/", "my-svc-a", false)]
    [InlineData("/svc-/", "my-svc-a", true)]
    [InlineData("/^svc-.*$/", "svc-a/b", true)]
    [InlineData("/^(a|b)$/", "b", true)]
    [InlineData("/^(a|b)$/", "ab", false)]
    [InlineData("/^[^/]+$/", "app", true)]
    [InlineData("/^[^/]+$/", "team/app", false)]
    public void Regex_MatchesAnywhere_UnlessItAnchorsItself(string regex, string path, bool expected)
    {
        var pattern = Pattern(regex);

        Assert.True(pattern.IsRegex);
        Assert.Equal(expected, pattern.Matches(path));
    }

    [Fact]
    public void Matches_AnyIncludeAndNoExclude()
    {
        var filter = Parse(["app-*", "/svc-.*/"], ["*-tmp"]);

        Assert.True(filter.Matches("app-web"));
        Assert.True(filter.Matches("svc-pay"));
        Assert.False(filter.Matches("app-tmp"));
        Assert.False(filter.Matches("svc-tmp"));
        Assert.False(filter.Matches("other"));
        Assert.Equal("app-*, /svc-.*/ except *-tmp", filter.ToString());
    }

    [Fact]
    public void Matches_WithoutIncludes_TakesAllButTheExcluded()
    {
        var filter = Parse([], ["*-tmp", "legacy/**"]);

        Assert.True(filter.Matches("app"));
        Assert.True(filter.Matches("team/app"));
        Assert.False(filter.Matches("x-tmp"));
        Assert.False(filter.Matches("legacy/app"));
        Assert.Equal("every repository except *-tmp, legacy/**", filter.ToString());
    }

    [Fact]
    public void All_TakesEveryRepository()
    {
        Assert.True(RepositoryFilter.All.Matches("anything/at/all"));
        Assert.True(Parse(null, null).Matches("app"));
        Assert.Equal("every repository", RepositoryFilter.All.ToString());
    }

    [Fact]
    public void TryParse_ReportsEveryBadEntry_WithItsListAndPosition()
    {
        string[] include = ["app-*", "App-*", "", "a//b", "a**", "app_[x]", "/(/", "/", "/a"];
        string[] exclude = ["x y", "**x/y"];

        Assert.False(RepositoryFilter.TryParse(include, exclude, out var filter, out var errors));

        Assert.Null(filter);
        Assert.Equal(10, errors.Count);
        Assert.Equal("include[1]: 'App-*' has upper-case letters, which repository names cannot have", errors[0]);
        Assert.Equal("include[2]: an empty entry matches no repository; write * or ** for every one", errors[1]);
        Assert.Equal("include[3]: 'a//b' has an empty path component (a '/' at an end or two in a row)", errors[2]);
        Assert.Equal("include[4]: 'a**': 'a**' is not supported: '**' is a whole path component (any depth), '*' matches within one", errors[3]);
        Assert.Equal("include[5]: 'app_[x]': '[' cannot appear in a repository name (write a regex as /regex/)", errors[4]);
        Assert.StartsWith("include[6]: '/(/' is not a valid regular expression: ", errors[5], StringComparison.Ordinal);
        Assert.Equal("include[7]: '/' has an empty path component (a '/' at an end or two in a row)", errors[6]);
        Assert.Equal("include[8]: '/a' has an empty path component (a '/' at an end or two in a row)", errors[7]);
        Assert.Equal("exclude[0]: 'x y': ' ' cannot appear in a repository name (write a regex as /regex/)", errors[8]);
        Assert.Equal("exclude[1]: '**x/y': '**x' is not supported: '**' is a whole path component (any depth), '*' matches within one", errors[9]);
    }

    [Fact]
    public void TryParse_KeepsTheEntriesAsWritten()
    {
        var filter = Parse(["app-*"], ["/-tmp$/"]);

        Assert.Equal("app-*", Assert.Single(filter.Include).Text);
        Assert.False(filter.Include[0].IsRegex);
        Assert.True(filter.Exclude[0].IsRegex);
    }

    private static PathPattern Pattern(string text)
    {
        Assert.True(PathPattern.TryParse(text, out var pattern, out var error), error);
        return pattern;
    }

    private static RepositoryFilter Parse(string[]? include, string[]? exclude)
    {
        Assert.True(RepositoryFilter.TryParse(include, exclude, out var filter, out var errors), string.Join("; ", errors));
        Assert.Empty(errors);
        return filter;
    }
}
