using System.Text.RegularExpressions;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Daemon;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The docker CLI as a client of the gateway, besides skopeo and ctr: the engine pulls and pushes
/// through <c>syncgateway serve</c> (a process of its own, so its metrics are its own) in front of
/// two <c>registry:2</c> containers, and what it pushed is at the mirror with the same digest.
/// </summary>
public sealed class DockerClientTests
{
    [Fact]
    public async Task DockerPull_ThroughTheGateway_IsServedFromTheMirror_WithTheSourcesDigest()
    {
        await DockerEngine.RequireAsync();
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        var docker = new DockerCli(Directory.CreateDirectory(Path.Combine(workspace.Folder, "docker")).FullName);
        var built = await BuildAsync(docker, workspace, $"{source.Host}/lib/pulled:1");
        var pulled = "none";
        try
        {
            var pushed = DockerCli.PushedDigest(await docker.CheckAsync("push", built));
            var (serve, gateway) = await StartServeAsync(workspace, source.Host, mirror.Host, ["lib/pulled"]);
            using var running = serve;
            using var atMirror = new ImageSeeder(mirror.Host);
            // the bulk sync at start copies it; then every read of its content is served by the mirror
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/pulled", "1") == pushed), serve.Output);
            await docker.CheckAsync("rmi", built);

            pulled = $"{gateway}/lib/pulled:1";
            var pull = await docker.CheckAsync("pull", pulled);

            Assert.Contains($"Digest: {pushed}", pull, StringComparison.Ordinal);
            using var http = new HttpClient { BaseAddress = new Uri($"http://{gateway}/") };
            var metrics = await http.GetStringAsync("metrics");
            // the tag is resolved at the source (a HEAD; the engine's GET of the manifest by tag too),
            // every blob (the config and the layer) comes from the mirror
            Assert.Matches("""syncgateway_gateway_requests_total\{backend="mirror",method="GET",result="2xx"\} [2-9]""", metrics);
            Assert.Matches("""syncgateway_gateway_requests_total\{backend="source",method="GET",result="2xx"\} [0-1]\n""", metrics);
        }
        finally
        {
            await docker.RunAsync(["rmi", "-f", built, pulled]);
        }
    }

    [Fact]
    public async Task DockerPush_OfARetaggedImage_MountsItsLayersAcrossRepositories_AndIsAtTheMirrorWithTheSameDigest()
    {
        await DockerEngine.RequireAsync();
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        var docker = new DockerCli(Directory.CreateDirectory(Path.Combine(workspace.Folder, "docker")).FullName);
        var (serve, gateway) = await StartServeAsync(workspace, source.Host, mirror.Host, ["lib/first", "lib/second"]);
        using var running = serve;
        var first = await BuildAsync(docker, workspace, $"{gateway}/lib/first:1");
        var second = $"{gateway}/lib/second:1";
        try
        {
            var firstDigest = DockerCli.PushedDigest(await docker.CheckAsync("push", first));
            await docker.CheckAsync("tag", first, second);

            var push = await docker.CheckAsync("push", second);

            Assert.Matches(new Regex("Mounted from lib/first"), push);
            Assert.Equal(firstDigest, DockerCli.PushedDigest(push));
            using var atMirror = new ImageSeeder(mirror.Host);
            using var atSource = new ImageSeeder(source.Host);
            Assert.Equal(firstDigest, await atSource.ManifestDigestAsync("lib/second", "1"));
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/second", "1") == firstDigest), serve.Output);
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/first", "1") == firstDigest), serve.Output);
        }
        finally
        {
            await docker.RunAsync(["rmi", "-f", first, second]);
        }
    }

    [Fact]
    public async Task DockerPush_OfAFreshlyBuiltImage_IsAtTheSourceAndTheMirrorWithTheSameDigest()
    {
        await DockerEngine.RequireAsync();
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        var docker = new DockerCli(Directory.CreateDirectory(Path.Combine(workspace.Folder, "docker")).FullName);
        var (serve, gateway) = await StartServeAsync(workspace, source.Host, mirror.Host, ["lib/fresh"]);
        using var running = serve;
        var fresh = await BuildAsync(docker, workspace, $"{gateway}/lib/fresh:1");
        try
        {
            var digest = DockerCli.PushedDigest(await docker.CheckAsync("push", fresh));

            using var atSource = new ImageSeeder(source.Host);
            using var atMirror = new ImageSeeder(mirror.Host);
            Assert.Equal(digest, await atSource.ManifestDigestAsync("lib/fresh", "1"));
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/fresh", "1") == digest), serve.Output);
            Assert.Equal(digest, await Skopeo.ManifestDigestAsync($"{mirror.Host}/mirror/fresh:1"));
        }
        finally
        {
            await docker.RunAsync(["rmi", "-f", fresh]);
        }
    }

    /// <summary>
    /// Builds a one-file image FROM scratch, tagged <paramref name="tag"/>, with content no earlier
    /// run had (so the engine holds none of its layers and must fetch them all).
    /// </summary>
    private static async Task<string> BuildAsync(DockerCli docker, Workspace workspace, string tag)
    {
        var context = Directory.CreateDirectory(Path.Combine(workspace.Folder, "context")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(context, "payload"), ImageSeeder.RandomBytes(300_000, Random.Shared.Next()));
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY payload /payload\n");
        await docker.CheckAsync("build", "-t", tag, context);
        return tag;
    }

    private static async Task<(ServeProcess Serve, string Host)> StartServeAsync(Workspace workspace, string source, string mirror, string[] repositories)
    {
        var port = RegistryProcess.FreePort();
        var rules = string.Join('\n', repositories.Select(r => $"  - source: {source}/{r}\n    destination: {mirror}/mirror/{r[(r.LastIndexOf('/') + 1)..]}"));
        var config = workspace.Write("gateway.yaml", $"""
            registries:
              "{source}":
                insecure: true
              "{mirror}":
                insecure: true
            rules:
            {rules}
            replicator:
              records: {workspace.Records}
              pollInterval: 0
            gateway:
              listen: http://127.0.0.1:{port}
              source: {source}
              mirror: {mirror}
              auth: passthrough
            """);
        return (await ServeProcess.StartAsync(config, port), $"127.0.0.1:{port}");
    }
}
