using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// containerd, the kubelet's image service, pulling through the gateway the way a cluster is set
/// up for a cutover: a <c>hosts.toml</c> names the gateway as a mirror of the source registry,
/// so containerd asks the gateway first, with the <c>?ns=&lt;source&gt;</c> parameter it sends
/// to a mirror. Single-arch and multi-arch images, by tag and by digest, from the mirror, and
/// with the source stopped.
/// </summary>
public sealed class ContainerdTests
{
    [Fact]
    public async Task Ctr_PullsThroughTheGatewayAsAMirror_ByTagAndByDigest_SingleAndMultiArch()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var watchedSource = await FaultProxy.StartAsync(source.BaseUri);
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var app = await seeder.PushUnpackableImageAsync("lib/app", "1", [ImageSeeder.TarLayer("app.txt", ImageSeeder.RandomBytes(40_000, 380))]);
        var amd64 = await seeder.PushUnpackableImageAsync("lib/multi", "amd64", [ImageSeeder.TarLayer("amd64.txt", ImageSeeder.RandomBytes(30_000, 381))]);
        var arm64 = await seeder.PushUnpackableImageAsync("lib/multi", "arm64", [ImageSeeder.TarLayer("arm64.txt", ImageSeeder.RandomBytes(30_000, 382))], architecture: "arm64");
        var multi = await seeder.PushIndexAsync("lib/multi", "1", [(amd64, "linux", "amd64"), (arm64, "linux", "arm64")]);
        var images = workspace.Write("images.yaml", $"\"{watchedSource.Host}/lib/app\": \"{mirror.Host}/mirror/app\"\n\"{watchedSource.Host}/lib/multi\": \"{mirror.Host}/mirror/multi\"\n");
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", workspace.InsecureAuth(watchedSource.Host, mirror.Host), "--images", images, "--records", workspace.Records)).ExitCode);
        await using var gateway = await RunningGateway.StartAsync(workspace, watchedSource.Host, mirror.Host, ["lib/app", "lib/multi"]);
        await using var front = await FaultProxy.StartAsync(gateway.BaseUri);
        await using var containerd = await ContainerdProcess.StartAsync();
        var hosts = containerd.WriteMirrorHosts(watchedSource.Host, front.Host);
        watchedSource.Requests.Clear();

        var byTag = await containerd.PullAsync($"{watchedSource.Host}/lib/app:1", hosts);
        var byDigest = await containerd.PullAsync($"{watchedSource.Host}/lib/app@{app.Digest}", hosts);
        var allPlatforms = await containerd.PullAsync($"{watchedSource.Host}/lib/multi:1", hosts, "--all-platforms");
        var indexByDigest = await containerd.PullAsync($"{watchedSource.Host}/lib/multi@{multi.Digest}", hosts);

        Assert.True(byTag.ExitCode == 0, byTag.Output + gateway.Log);
        Assert.True(byDigest.ExitCode == 0, byDigest.Output + gateway.Log);
        Assert.True(allPlatforms.ExitCode == 0, allPlatforms.Output + gateway.Log);
        Assert.True(indexByDigest.ExitCode == 0, indexByDigest.Output + gateway.Log);
        Assert.Equal(app.Digest, await containerd.ImageDigestAsync($"{watchedSource.Host}/lib/app:1"));
        Assert.Equal(multi.Digest, await containerd.ImageDigestAsync($"{watchedSource.Host}/lib/multi:1"));
        Assert.True(await containerd.HasContentAsync(amd64.LayerDigests[0]));
        Assert.True(await containerd.HasContentAsync(arm64.LayerDigests[0]));

        // containerd went to the gateway, naming the registry it stands in for; the layers came from the mirror.
        var ns = "ns=" + Uri.EscapeDataString(watchedSource.Host);
        Assert.Contains(front.Requests, r => r.Contains("/blobs/", StringComparison.Ordinal) && r.Contains(ns, StringComparison.Ordinal));
        Assert.DoesNotContain(watchedSource.Requests, r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("/blobs/", StringComparison.Ordinal));
        Assert.DoesNotContain(watchedSource.Requests, r => r.Contains("ns=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithTheSourceStopped_CtrPull_IsServedFromTheMirror()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var amd64 = await seeder.PushUnpackableImageAsync("lib/steady", "amd64", [ImageSeeder.TarLayer("a.txt", ImageSeeder.RandomBytes(30_000, 383))]);
        var arm64 = await seeder.PushUnpackableImageAsync("lib/steady", "arm64", [ImageSeeder.TarLayer("b.txt", ImageSeeder.RandomBytes(30_000, 384))], architecture: "arm64");
        var multi = await seeder.PushIndexAsync("lib/steady", "1", [(amd64, "linux", "amd64"), (arm64, "linux", "arm64")]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/steady\": \"{mirror.Host}/mirror/steady\"\n");
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", workspace.InsecureAuth(source.Host, mirror.Host), "--images", images, "--records", workspace.Records)).ExitCode);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/steady"]);
        await using var containerd = await ContainerdProcess.StartAsync();
        var hosts = containerd.WriteMirrorHosts(source.Host, gateway.Host);

        await source.StopAsync();
        var pulled = await containerd.PullAsync($"{source.Host}/lib/steady:1", hosts, "--all-platforms");

        Assert.True(pulled.ExitCode == 0, pulled.Output + gateway.Log);
        Assert.Equal(multi.Digest, await containerd.ImageDigestAsync($"{source.Host}/lib/steady:1"));
        Assert.True(await containerd.HasContentAsync(arm64.LayerDigests[0]));
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        Assert.Matches("syncgateway_gateway_stale_reads_total [1-9]", await http.GetStringAsync("metrics"));
    }
}
