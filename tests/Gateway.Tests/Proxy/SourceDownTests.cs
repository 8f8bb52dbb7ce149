using System.Net;
using System.Text.Json;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// With the source stopped, every read a pull and an inspect need is served from the mirror:
/// the tag list of a mirrored repository (under the name the client asked for), so that
/// <c>skopeo inspect</c>, which lists tags, works as well as a copy, and each answer says
/// <c>X-SyncGateway-Backend: mirror</c>.
/// </summary>
public sealed class SourceDownTests
{
    private const string Backend = "X-SyncGateway-Backend";

    [Fact]
    public async Task WithTheSourceStopped_TagListsAndSkopeoInspect_AreServedFromTheMirror_UnderTheSourceName()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var one = await seeder.PushImageAsync("lib/steady", "1", [ImageSeeder.GzipBytes(20_000, 370)]);
        await seeder.PushImageAsync("lib/steady", "2", [ImageSeeder.GzipBytes(20_000, 371)]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/steady\": \"{mirror.Host}/mirror/steady\"\n");
        var auth = workspace.InsecureAuth(source.Host, mirror.Host);
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records)).ExitCode);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/steady"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        using (var up = await http.GetAsync("v2/lib/steady/tags/list"))
        {
            Assert.Equal("source", up.Headers.GetValues(Backend).Single());
        }

        await source.StopAsync();

        using var tags = await http.GetAsync("v2/lib/steady/tags/list");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
        Assert.Equal("mirror", tags.Headers.GetValues(Backend).Single());
        var list = JsonDocument.Parse(await tags.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("lib/steady", list.GetProperty("name").GetString());
        Assert.Equal(["1", "2"], list.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order());

        var (exitCode, output) = await Skopeo.RunAsync(["inspect", "--tls-verify=false", $"docker://{gateway.Host}/lib/steady:1"]);
        Assert.True(exitCode == 0, output + gateway.Log);
        var inspected = JsonDocument.Parse(output).RootElement;
        Assert.Equal(one.Digest, inspected.GetProperty("Digest").GetString());
        Assert.Equal(["1", "2"], inspected.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()!).Order());
        var copy = Path.Combine(workspace.Folder, "pulled");
        await Skopeo.CopyAsync($"docker://{gateway.Host}/lib/steady:2", $"dir:{copy}");
        Assert.True(File.Exists(Path.Combine(copy, "manifest.json")));
    }

    [Fact]
    public async Task WithTheSourceStopped_ARepositoryWithoutAMirror_Gets502WithAnOciBody()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/steady"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        await source.StopAsync();

        using var unmirrored = await http.GetAsync("v2/lib/other/tags/list");
        using var unsynced = await http.GetAsync("v2/lib/steady/tags/list");

        Assert.Equal(HttpStatusCode.BadGateway, unmirrored.StatusCode);
        Assert.Contains("\"code\":\"UNAVAILABLE\"", await unmirrored.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadGateway, unsynced.StatusCode);
        Assert.Contains("the mirror has no tag list", await unsynced.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
