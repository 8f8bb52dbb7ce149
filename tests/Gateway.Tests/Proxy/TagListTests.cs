using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// Tag lists through the gateway page as the distribution spec says (<c>?n=</c>, <c>?last=</c>,
/// a <c>Link</c> to the next page), whether or not the source pages itself: each link points at
/// the gateway, under the name the client used (with the source's path prefix), so a client that
/// follows the links stays on the gateway and on the same source.
/// </summary>
public sealed class TagListTests
{
    [Fact]
    public async Task APagedTagList_LinksToEachNextPageAtTheGatewayUnderTheGatewaysName_AndListsEveryTagOnce()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        string[] tags = ["1.0", "1.1", "1.2", "2.0", "2.1", "latest"];
        var image = await seeder.PushImageAsync("team/app", tags[0], [ImageSeeder.RandomBytes(2_000, 380)]);
        foreach (var tag in tags[1..])
        {
            await seeder.PushManifestAsync("team/app", tag, image.Manifest, image.MediaType);
        }

        // Under a path prefix the gateway's name (hub/team/app) is not the source's (team/app).
        await using var gateway = await RunningGateway.StartWithConfigAsync(workspace, port => $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/team/app
                destination: {mirror.Host}/mirror/app
            replicator:
              records: {workspace.Records}
              pollInterval: 0
            gateway:
              listen: http://127.0.0.1:{port}
              sources:
                - source: {source.Host}
                  mirror: {mirror.Host}
                  prefix: hub/
            """);
        using var http = new HttpClient();

        var next = new Uri(gateway.BaseUri, "v2/hub/team/app/tags/list?n=2");
        var listed = new List<string>();
        var pages = 0;
        while (next is not null)
        {
            Assert.True(++pages <= tags.Length, $"more pages than tags: {string.Join(", ", listed)}");
            using var page = await http.GetAsync(next);
            var text = await page.Content.ReadAsStringAsync();
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{next}: {(int)page.StatusCode} {text}\n{gateway.Log}");
            using var body = JsonDocument.Parse(text);
            var pageTags = body.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
            Assert.InRange(pageTags.Count, 1, 2);
            listed.AddRange(pageTags);

            next = null;
            if (page.Headers.TryGetValues("Link", out var links))
            {
                var link = Assert.Single(links);
                var match = Regex.Match(link, "^<([^>]+)>;\\s*rel=\"next\"$");
                Assert.True(match.Success, link);
                var target = new Uri(match.Groups[1].Value, UriKind.RelativeOrAbsolute);
                Assert.True(target.IsAbsoluteUri, $"the link is not absolute: {link}");
                Assert.Equal(gateway.Host, target.Authority);
                Assert.Equal("/v2/hub/team/app/tags/list", target.AbsolutePath);
                next = target;
            }
        }

        Assert.Equal(3, pages);
        Assert.Equal(tags.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ATagListUnderAPathPrefix_NamesTheRepositoryAsTheClientAskedForIt_FromTheSourceAndFromTheMirror()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var image = await seeder.PushImageAsync("team/app", "1.0", [ImageSeeder.RandomBytes(2_000, 381)]);
        await seeder.PushManifestAsync("team/app", "2.0", image.Manifest, image.MediaType);
        await seeder.PushManifestAsync("team/app", "latest", image.Manifest, image.MediaType);
        await using var gateway = await RunningGateway.StartWithConfigAsync(workspace, port => $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/team/app
                destination: {mirror.Host}/mirror/app
            replicator:
              records: {workspace.Records}
              pollInterval: 0
            gateway:
              listen: http://127.0.0.1:{port}
              sources:
                - source: {source.Host}
                  mirror: {mirror.Host}
                  prefix: hub/
            """);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/app", "latest") == image.Digest), gateway.Log);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        async Task<(string Backend, string Name, int Tags)> ListAsync(string query)
        {
            using var answer = await http.GetAsync($"v2/hub/team/app/tags/list{query}");
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{query}: {(int)answer.StatusCode} {text}\n{gateway.Log}");
            using var body = JsonDocument.Parse(text);
            return (answer.Headers.GetValues("X-SyncGateway-Backend").Single(), body.RootElement.GetProperty("name").GetString()!, body.RootElement.GetProperty("tags").GetArrayLength());
        }

        Assert.Equal(("source", "hub/team/app", 3), await ListAsync(string.Empty));
        Assert.Equal(("source", "hub/team/app", 2), await ListAsync("?n=2"));

        await source.StopAsync();
        Assert.Equal(("mirror", "hub/team/app", 3), await ListAsync(string.Empty));
        Assert.Equal(("mirror", "hub/team/app", 2), await ListAsync("?n=2"));
    }

    [Fact]
    public async Task ASourceThatPagesItself_HasItsLinksPointedAtTheGatewayUnderThePrefix_AndEveryTagIsListedOnce()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var source = await FaultProxy.StartAsync(registry.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(registry.Host);
        string[] tags = ["1.0", "1.1", "1.2", "2.0", "latest"];
        var image = await seeder.PushImageAsync("team/app", tags[0], [ImageSeeder.RandomBytes(2_000, 382)]);
        foreach (var tag in tags[1..])
        {
            await seeder.PushManifestAsync("team/app", tag, image.Manifest, image.MediaType);
        }

        // registry:2 ignores n: the hop in front of it pages the real list as distribution 3 does,
        // with a relative Link under the source's own name.
        using var direct = new HttpClient { BaseAddress = registry.BaseUri };
        var pagedBySource = 0;
        source.Fault = async context =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != "/v2/team/app/tags/list" || !int.TryParse(context.Request.Query["n"], out var n))
            {
                return false;
            }

            using var whole = JsonDocument.Parse(await direct.GetStringAsync("v2/team/app/tags/list"));
            var last = context.Request.Query["last"].ToString();
            var after = whole.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)
                .Where(t => string.CompareOrdinal(t, last) > 0).Order(StringComparer.Ordinal).ToList();
            var page = after.Take(n).ToList();
            if (after.Count > n)
            {
                context.Response.Headers["Link"] = $"</v2/team/app/tags/list?n={n}&last={Uri.EscapeDataString(page[^1])}>; rel=\"next\"";
            }

            Interlocked.Increment(ref pagedBySource);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { name = "team/app", tags = page }));
            return true;
        };
        await using var gateway = await RunningGateway.StartWithConfigAsync(workspace, port => $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/team/app
                destination: {mirror.Host}/mirror/app
            replicator:
              records: {workspace.Records}
              pollInterval: 0
            gateway:
              listen: http://127.0.0.1:{port}
              sources:
                - source: {source.Host}
                  mirror: {mirror.Host}
                  prefix: hub/
            """);
        using var http = new HttpClient();
        var before = Volatile.Read(ref pagedBySource);

        var next = new Uri(gateway.BaseUri, "v2/hub/team/app/tags/list?n=2");
        var listed = new List<string>();
        var pages = 0;
        while (next is not null)
        {
            Assert.True(++pages <= tags.Length, $"more pages than tags: {string.Join(", ", listed)}");
            using var page = await http.GetAsync(next);
            var text = await page.Content.ReadAsStringAsync();
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{next}: {(int)page.StatusCode} {text}\n{gateway.Log}");
            Assert.Equal("source", page.Headers.GetValues("X-SyncGateway-Backend").Single());
            using var body = JsonDocument.Parse(text);
            Assert.Equal("hub/team/app", body.RootElement.GetProperty("name").GetString());
            listed.AddRange(body.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!));

            next = null;
            if (page.Headers.TryGetValues("Link", out var links))
            {
                var match = Regex.Match(Assert.Single(links), "^<([^>]+)>;\\s*rel=\"next\"$");
                Assert.True(match.Success, links.Single());
                var target = new Uri(match.Groups[1].Value, UriKind.RelativeOrAbsolute);
                Assert.True(target.IsAbsoluteUri, $"the link is not absolute: {links.Single()}");
                Assert.Equal(gateway.Host, target.Authority);
                Assert.Equal("/v2/hub/team/app/tags/list", target.AbsolutePath);
                next = target;
            }
        }

        Assert.Equal(3, pages);
        Assert.Equal(3, Volatile.Read(ref pagedBySource) - before);
        Assert.Equal(tags.Order(StringComparer.Ordinal), listed);
    }
}
