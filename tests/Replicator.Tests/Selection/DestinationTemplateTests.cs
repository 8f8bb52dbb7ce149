using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Tests.Selection;

public sealed class DestinationTemplateTests
{
    [Theory]
    [InlineData("registry.example.com/ns/{path}", "registry.example.com/ns/app/api")]
    [InlineData("registry.example.com/ns/{name}", "registry.example.com/ns/api")]
    [InlineData("registry.example.com/ns/{repo}", "registry.example.com/ns/team/app/api")]
    [InlineData("registry.example.com/{path}", "registry.example.com/app/api")]
    [InlineData("registry.example.com:5000/ns/mirror-{name}", "registry.example.com:5000/ns/mirror-api")]
    [InlineData("registry.example.com/ns/{name}/{path}", "registry.example.com/ns/api/app/api")]
    [InlineData("registry.example.com/ns/{path}-mirror", "registry.example.com/ns/app/api-mirror")]
    [InlineData("localhost:5000/{repo}", "localhost:5000/team/app/api")]
    public void Expand_FillsThePlaceholders(string text, string expected)
    {
        var template = Parse(text);

        Assert.Equal(expected, template.Expand("team/app/api", "app/api"));
        Assert.True(template.TryExpand("team/app/api", "app/api", out var destination, out var error), error);
        Assert.Equal(expected, destination);
        Assert.Equal(text, template.ToString());
    }

    [Fact]
    public void Expand_WholeRepositoryBelowAnEmptyPrefix()
    {
        Assert.Equal("r.example.com/ns/nginx", Parse("r.example.com/ns/{path}").Expand("nginx", "nginx"));
        Assert.Equal("r.example.com/ns/nginx", Parse("r.example.com/ns/{name}").Expand("nginx", "nginx"));
    }

    [Fact]
    public void Registry_IsTheHostInLowerCase()
    {
        Assert.Equal("registry.example.com:5000", Parse("registry.example.com:5000/ns/{path}").Registry);
        var template = Parse("Registry.Example.COM/ns/{name}");
        Assert.Equal("registry.example.com", template.Registry);
        Assert.Equal("registry.example.com/ns/app", template.Expand("team/app", "app"));
    }

    [Theory]
    [InlineData("registry.example.com/ns/{tag}", "'registry.example.com/ns/{tag}': '{tag}' is not a placeholder (use {path}, {name} or {repo})")]
    [InlineData("registry.example.com/ns/{nme}", "'registry.example.com/ns/{nme}': '{nme}' is not a placeholder (use {path}, {name} or {repo})")]
    [InlineData("registry.example.com/ns/{Path}", "'registry.example.com/ns/{Path}': '{Path}' is not a placeholder (use {path}, {name} or {repo})")]
    [InlineData("registry.example.com/ns/{}", "'registry.example.com/ns/{}': '{}' is not a placeholder (use {path}, {name} or {repo})")]
    [InlineData("registry.example.com/ns/{path", "'registry.example.com/ns/{path' has a '{' without its pair: placeholders are written {path}, {name} or {repo}")]
    [InlineData("registry.example.com/ns/path}", "'registry.example.com/ns/path}' has a '}' without its pair: placeholders are written {path}, {name} or {repo}")]
    [InlineData("registry.example.com/ns/{pa{th}", "'registry.example.com/ns/{pa{th}' has a '{' without its pair: placeholders are written {path}, {name} or {repo}")]
    [InlineData("ns/{path}", "'ns/{path}' must start with the destination registry host, without placeholders (e.g. registry.example.com/ns/{path})")]
    [InlineData("{name}.example.com/ns/{path}", "'{name}.example.com/ns/{path}' must start with the destination registry host, without placeholders (e.g. registry.example.com/ns/{path})")]
    [InlineData("registry.example.com", "'registry.example.com' must start with the destination registry host, without placeholders (e.g. registry.example.com/ns/{path})")]
    [InlineData("bad_host.example.com/ns/{path}", "'bad_host.example.com/ns/{path}': 'bad_host.example.com' is not a valid registry host")]
    [InlineData("registry.example.com/ns/app", "'registry.example.com/ns/app' has no placeholder, so every repository would go to the same destination; use {path}, {name} or {repo}")]
    [InlineData("registry.example.com/ns/{path}:v1", "'registry.example.com/ns/{path}:v1' has a tag or digest: a destination template names repositories only (each tag keeps its name)")]
    [InlineData("registry.example.com/ns/{name}@sha256:abc", "'registry.example.com/ns/{name}@sha256:abc' has a tag or digest: a destination template names repositories only (each tag keeps its name)")]
    [InlineData("registry.example.com/NS/{path}", "'registry.example.com/NS/{path}' has upper-case letters, which repository names cannot have")]
    [InlineData("registry.example.com/ns/{name}-", "'registry.example.com/ns/{name}-' cannot make a valid repository name around its placeholders (components of lower-case letters and digits joined by '.', '_', '__' or '-', separated by '/')")]
    [InlineData("registry.example.com/ns//{name}", "'registry.example.com/ns//{name}' cannot make a valid repository name around its placeholders (components of lower-case letters and digits joined by '.', '_', '__' or '-', separated by '/')")]
    [InlineData("registry.example.com/ns/_{name}", "'registry.example.com/ns/_{name}' cannot make a valid repository name around its placeholders (components of lower-case letters and digits joined by '.', '_', '__' or '-', separated by '/')")]
    [InlineData("registry.example.com/ns/{name}/", "'registry.example.com/ns/{name}/' cannot make a valid repository name around its placeholders (components of lower-case letters and digits joined by '.', '_', '__' or '-', separated by '/')")]
    [InlineData("registry.example.com/ns/my app/{name}", "'registry.example.com/ns/my app/{name}' cannot make a valid repository name around its placeholders (components of lower-case letters and digits joined by '.', '_', '__' or '-', separated by '/')")]
    public void TryParse_NamesWhatIsWrong(string text, string expected)
    {
        Assert.False(DestinationTemplate.TryParse(text, out var template, out var error));

        Assert.Null(template);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryExpand_LongerThanARepositoryName_IsReported()
    {
        var prefix = "r.example.com/" + new string('a', 250);
        var template = Parse(prefix + "/{name}");

        Assert.False(template.TryExpand("team/abcdefghij", "abcdefghij", out var destination, out var error));

        Assert.Null(destination);
        Assert.Equal($"'{prefix}/{{name}}' for 'team/abcdefghij' makes a repository name longer than 255 characters: '{prefix}/abcdefghij'", error);
        Assert.True(template.TryExpand("team/abc", "abc", out _, out _));
    }

    [Fact]
    public void TryExpand_InvalidResult_IsReported_AndExpandThrowsTheSameMessage()
    {
        var template = Parse("r.example.com/ns/{name}");

        Assert.False(template.TryExpand("team/App", "App", out _, out var error));
        Assert.Equal("'r.example.com/ns/{name}' for 'team/App' makes 'r.example.com/ns/App', which is not a valid repository name (components of lower-case letters and digits joined by '.', '_', '__' or '-', separated by '/')", error);
        var thrown = Assert.Throws<FormatException>(() => template.Expand("team/App", "App"));
        Assert.Equal(error, thrown.Message);
    }

    [Theory]
    [InlineData("team/app", "other")]
    [InlineData("team/app", "eam/app")]
    [InlineData("team/app", "")]
    [InlineData("team/app", "team/app/x")]
    public void TryExpand_PathThatIsNotTheEndOfTheRepository_Throws(string repository, string path)
    {
        var template = Parse("r.example.com/ns/{path}");

        Assert.Throws<ArgumentException>(() => template.TryExpand(repository, path, out _, out _));
    }

    private static DestinationTemplate Parse(string text)
    {
        Assert.True(DestinationTemplate.TryParse(text, out var template, out var error), error);
        return template;
    }
}
