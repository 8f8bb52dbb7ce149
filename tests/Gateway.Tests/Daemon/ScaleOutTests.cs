using System.Net;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// <c>--role gateway</c> replicas in front of one <c>--role replicator</c>: a push through any
/// gateway reaches the replicator, which owns the records and copies it.
/// </summary>
public sealed class ScaleOutTests
{
    [Fact]
    public async Task APushThroughEitherGatewayReplica_IsReplicatedByTheOneReplicator()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var replicatorFiles = new Workspace();
        using var gatewayFiles = new Workspace();
        using var otherGatewayFiles = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var first = await seeder.PushImageAsync("seed/one", "1", [ImageSeeder.GzipBytes(20_000, 800)]);
        var second = await seeder.PushImageAsync("seed/two", "1", [ImageSeeder.GzipBytes(20_000, 801)]);
        await using var replicator = await RunningGateway.StartAsync(replicatorFiles, source.Host, mirror.Host, ["lib/app"], role: "replicator");
        await using var gatewayA = await RunningGateway.StartAsync(gatewayFiles, source.Host, mirror.Host, ["lib/app"], role: "gateway", replicator: replicator.BaseUri.ToString());
        await using var gatewayB = await RunningGateway.StartAsync(otherGatewayFiles, source.Host, mirror.Host, ["lib/app"], role: "gateway", replicator: replicator.BaseUri.ToString());

        await Skopeo.CopyAsync($"docker://{source.Host}/seed/one:1", $"docker://{gatewayA.Host}/lib/app:1");
        await Skopeo.CopyAsync($"docker://{source.Host}/seed/two:1", $"docker://{gatewayB.Host}/lib/app:2");

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/app", "1") == first.Digest), replicator.Log + gatewayA.Log);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/app", "2") == second.Digest), replicator.Log + gatewayB.Log);
        Assert.False(File.Exists(gatewayFiles.Records), "a gateway replica keeps no records");
        using var http = new HttpClient();
        using var noRegistryOnTheReplicator = await http.GetAsync(new Uri(replicator.BaseUri, "v2/"));
        using var noWebhooksOnAGateway = await http.PostAsync(new Uri(gatewayA.BaseUri, "api/webhooks/distribution"), null);
        Assert.Equal(HttpStatusCode.NotFound, noRegistryOnTheReplicator.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noWebhooksOnAGateway.StatusCode);
    }

    [Fact]
    public async Task AGatewayRole_WithoutAReplicatorAddress_IsAConfigurationError()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("g.yaml", "rules:\n  - source: h.example.com/a\n    destination: d.example.com/a\ngateway:\n  source: h.example.com\n");

        var run = await CliRun.InvokeAsync("serve", "--config", config, "--role", "gateway");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("gateway.replicator and webhooks.secret", run.Error, StringComparison.Ordinal);
    }
}
