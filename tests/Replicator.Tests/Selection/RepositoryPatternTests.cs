using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Tests.Selection;

public sealed class RepositoryPatternTests
{
    [Theory]
    [InlineData("harbor.example.com/team/**", "harbor.example.com", "team")]
    [InlineData("harbor.example.com:32080/library/*", "harbor.example.com:32080", "library")]
    [InlineData("registry.local/**", "registry.local", "")]
    [InlineData("registry.local/*/app", "registry.local", "")]
    [InlineData("h.example.com/a/*/b", "h.example.com", "a")]
    [InlineData("h.example.com/a/b/**/c/**", "h.example.com", "a/b")]
    [InlineData("localhost:5000/team/*", "localhost:5000", "team")]
    [InlineData("Harbor.Example.COM/team/**", "harbor.example.com", "team")]
    [InlineData("[::1]:5000/**", "[::1]:5000", "")]
    public void TryParse_ReadsHostAndFixedPrefix(string source, string registry, string prefix)
    {
        Assert.True(RepositoryPattern.TryParse(source, out var pattern, out var error), error);

        Assert.Equal(registry, pattern.Registry);
        Assert.Equal(prefix, pattern.FixedPrefix);
        Assert.Equal(source, pattern.Source);
        Assert.Equal(source, pattern.ToString());
    }

    [Theory]
    [InlineData("team/**", "team/app", true)]
    [InlineData("team/**", "team/app/api", true)]
    [InlineData("team/**", "team/a/b/c/d", true)]
    [InlineData("team/**", "team", false)]
    [InlineData("team/**", "teams/app", false)]
    [InlineData("team/**", "other/team/app", false)]
    [InlineData("library/*", "library/nginx", true)]
    [InlineData("library/*", "library/nginx/sub", false)]
    [InlineData("library/*", "library", false)]
    [InlineData("library/*", "nginx", false)]
    [InlineData("**", "nginx", true)]
    [InlineData("**", "a/b/c", true)]
    [InlineData("*", "nginx", true)]
    [InlineData("*", "library/nginx", false)]
    [InlineData("a/*/b", "a/x/b", true)]
    [InlineData("a/*/b", "a/b", false)]
    [InlineData("a/*/b", "a/x/y/b", false)]
    [InlineData("a/*/b", "a/x/b/c", false)]
    [InlineData("a/**/b", "a/x/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/b/b", true)]
    [InlineData("a/**/b", "a/b", false)]
    [InlineData("a/**/b", "a/x/b/c", false)]
    [InlineData("a/**/b/**", "a/x/b/y", true)]
    [InlineData("a/**/b/**", "a/x/y/b/z/w", true)]
    [InlineData("a/**/b/**", "a/b/y", false)]
    [InlineData("a/**/b/**", "a/x/b", false)]
    [InlineData("*/app", "team/app", true)]
    [InlineData("*/app", "app", false)]
    [InlineData("*/app", "a/b/app", false)]
    [InlineData("**/**", "a", false)]
    [InlineData("**/**", "a/b", true)]
    [InlineData("team/**", "team/App", false)]
    [InlineData("team/**", "team//app", false)]
    [InlineData("team/**", "", false)]
    public void Matches_StarIsOneLevel_DoubleStarIsOneOrMore(string path, string repository, bool expected)
    {
        Assert.Equal(expected, Parse("harbor.example.com/" + path).Matches(repository));
    }

    [Theory]
    [InlineData("harbor.example.com/team/**", "team/app/api", "app/api")]
    [InlineData("harbor.example.com/team/**", "team/app", "app")]
    [InlineData("harbor.example.com/library/*", "library/nginx", "nginx")]
    [InlineData("harbor.example.com/**", "a/b", "a/b")]
    [InlineData("harbor.example.com/a/*/b", "a/x/b", "x/b")]
    [InlineData("harbor.example.com/a/b/**", "a/b/c/d", "c/d")]
    public void PathBelowPrefix_IsWhatFollowsTheFixedPrefix(string source, string repository, string path)
    {
        Assert.Equal(path, Parse(source).PathBelowPrefix(repository));
    }

    [Fact]
    public void PathBelowPrefix_OfARepositoryThatDoesNotMatch_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Parse("harbor.example.com/team/**").PathBelowPrefix("other/app"));

        Assert.Contains("'other/app' is not matched by 'harbor.example.com/team/**'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("harbor.example.com/team/**", true)]
    [InlineData("harbor.example.com/library/*", true)]
    [InlineData("harbor.example.com/team/app-*", true)]
    [InlineData("harbor.example.com/team/app", false)]
    [InlineData("harbor.example.com/team/app:1.0", false)]
    [InlineData("nginx", false)]
    public void IsPattern_IsAnyStar(string source, bool expected)
    {
        Assert.Equal(expected, RepositoryPattern.IsPattern(source));
    }

    [Theory]
    [InlineData("team/**", "'team/**' must start with a registry host (e.g. harbor.example.com/team/**): a pattern's repositories are listed through that registry's catalog")]
    [InlineData("**", "'**' must start with a registry host (e.g. harbor.example.com/**): a pattern's repositories are listed through that registry's catalog")]
    [InlineData("harbor.example.com", "'harbor.example.com' has no repository path after the registry host (e.g. harbor.example.com/**)")]
    [InlineData("harbor.example.com/", "'harbor.example.com/' has no repository path after the registry host (e.g. harbor.example.com/**)")]
    [InlineData("bad_host.example.com/**", "'bad_host.example.com/**': 'bad_host.example.com' is not a valid registry host")]
    [InlineData("h.example.com:99999x/**", "'h.example.com:99999x/**': 'h.example.com:99999x' is not a valid registry host")]
    [InlineData("h.example.com/team/**:1.0", "'h.example.com/team/**:1.0' has a tag or digest: a pattern names repositories only (choose tags with tags, semver and latest)")]
    [InlineData("h.example.com/team/*@sha256:abc", "'h.example.com/team/*@sha256:abc' has a tag or digest: a pattern names repositories only (choose tags with tags, semver and latest)")]
    [InlineData("h.example.com/a//b/*", "'h.example.com/a//b/*' has an empty path component (a '/' at an end or two in a row)")]
    [InlineData("h.example.com/team/*/", "'h.example.com/team/*/' has an empty path component (a '/' at an end or two in a row)")]
    [InlineData("h.example.com//**", "'h.example.com//**' has an empty path component (a '/' at an end or two in a row)")]
    [InlineData("h.example.com/team/**x", "'h.example.com/team/**x': '**x' is not supported: a wildcard is a whole path component, '*' for one level or '**' for any depth (narrow names with repositories.include)")]
    [InlineData("h.example.com/team/a*b", "'h.example.com/team/a*b': 'a*b' is not supported: a wildcard is a whole path component, '*' for one level or '**' for any depth (narrow names with repositories.include)")]
    [InlineData("h.example.com/team/app-*", "'h.example.com/team/app-*': 'app-*' is not supported: a wildcard is a whole path component, '*' for one level or '**' for any depth (narrow names with repositories.include)")]
    [InlineData("h.example.com/***", "'h.example.com/***': '***' is not supported: a wildcard is a whole path component, '*' for one level or '**' for any depth (narrow names with repositories.include)")]
    [InlineData("h.example.com/Team/**", "'h.example.com/Team/**': 'Team' has upper-case letters, which repository names cannot have")]
    [InlineData("h.example.com/-team/**", "'h.example.com/-team/**': '-team' is not a valid repository path component (lower-case letters and digits joined by '.', '_', '__' or '-')")]
    [InlineData("h.example.com/team_/*", "'h.example.com/team_/*': 'team_' is not a valid repository path component (lower-case letters and digits joined by '.', '_', '__' or '-')")]
    [InlineData("h.example.com/team/app", "'h.example.com/team/app' has no '*' or '**' component, so it names one repository, not a pattern")]
    public void TryParse_NamesWhatIsWrong(string source, string expected)
    {
        Assert.False(RepositoryPattern.TryParse(source, out var pattern, out var error));

        Assert.Null(pattern);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_PatternLongerThanAnyRepositoryName_IsRefused()
    {
        var source = "h.example.com/" + new string('a', 254) + "/*";

        Assert.False(RepositoryPattern.TryParse(source, out _, out var error));
        Assert.Equal($"'{source}' can match no repository: every match would be longer than 255 characters", error);
        Assert.True(RepositoryPattern.TryParse("h.example.com/" + new string('a', 253) + "/*", out _, out _));
    }

    private static RepositoryPattern Parse(string source)
    {
        Assert.True(RepositoryPattern.TryParse(source, out var pattern, out var error), error);
        return pattern;
    }
}
