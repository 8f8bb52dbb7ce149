using System.Net;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// One gateway in front of two sources (<c>gateway.sources</c>), as for a cluster's own registry
/// and its Docker Hub mirror at once: containerd's <c>?ns=</c> picks the source it names, a path
/// prefix picks the source that has it (and is taken off the name), each source reads from its
/// own mirror repositories; and combinations that cannot route are configuration errors.
/// </summary>
public sealed class SeveralSourcesTests
{
    private const string Backend = "X-SyncGateway-Backend";

    [Fact]
    public async Task TwoSources_AreRoutedByNsAndByPrefix_EachFromItsOwnMirror()
    {
        await using var harbor = await RegistryProcess.StartAsync();
        await using var hub = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var atHarbor = new ImageSeeder(harbor.Host);
        using var atHub = new ImageSeeder(hub.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        // The same repository name at both sources, with different content: routing must not mix them.
        var ours = await atHarbor.PushUnpackableImageAsync("library/app", "1", [ImageSeeder.TarLayer("ours.txt", ImageSeeder.RandomBytes(20_000, 400))]);
        var theirs = await atHub.PushUnpackableImageAsync("library/app", "1", [ImageSeeder.TarLayer("theirs.txt", ImageSeeder.RandomBytes(20_000, 401))]);
        await using var gateway = await RunningGateway.StartWithConfigAsync(workspace, port => $"""
            registries:
              "{harbor.Host}": {"{"}insecure: true{"}"}
              "{hub.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {harbor.Host}/library/app
                destination: {mirror.Host}/harbor/app
              - source: {hub.Host}/library/app
                destination: {mirror.Host}/dockerhub/app
            replicator:
              records: {workspace.Records}
              pollInterval: 0
            gateway:
              listen: http://127.0.0.1:{port}
              sources:
                - source: {harbor.Host}
                  mirror: {mirror.Host}
                - source: {hub.Host}
                  mirror: {mirror.Host}
                  auth: anonymous
                  prefix: dockerhub/
            """);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("harbor/app", "1") == ours.Digest && await atMirror.ManifestDigestAsync("dockerhub/app", "1") == theirs.Digest), gateway.Log);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        Assert.Equal(ours.Digest, await Skopeo.ManifestDigestAsync($"{gateway.Host}/library/app:1"));
        Assert.Equal(theirs.Digest, await Skopeo.ManifestDigestAsync($"{gateway.Host}/dockerhub/library/app:1"));
        using (var byPrefix = await http.GetAsync($"v2/dockerhub/library/app/blobs/{theirs.LayerDigests[0]}"))
        {
            Assert.Equal(HttpStatusCode.OK, byPrefix.StatusCode);
            Assert.Equal("mirror", byPrefix.Headers.GetValues(Backend).Single());
        }

        using (var byNs = await http.GetAsync($"v2/library/app/blobs/{theirs.LayerDigests[0]}?ns={Uri.EscapeDataString(hub.Host)}"))
        {
            Assert.Equal(HttpStatusCode.OK, byNs.StatusCode);
            Assert.Equal("mirror", byNs.Headers.GetValues(Backend).Single());
        }

        using (var unknown = await http.GetAsync("v2/library/app/manifests/1?ns=registry.example.com"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("does not front registry.example.com", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // containerd, with both sources mirrored through the gateway, gets each its own image.
        await using var containerd = await ContainerdProcess.StartAsync();
        containerd.WriteMirrorHosts(harbor.Host, gateway.Host);
        var hosts = containerd.WriteMirrorHosts(hub.Host, gateway.Host);
        var pulledOurs = await containerd.PullAsync($"{harbor.Host}/library/app:1", hosts);
        var pulledTheirs = await containerd.PullAsync($"{hub.Host}/library/app:1", hosts);
        Assert.True(pulledOurs.ExitCode == 0, pulledOurs.Output + gateway.Log);
        Assert.True(pulledTheirs.ExitCode == 0, pulledTheirs.Output + gateway.Log);
        Assert.Equal(ours.Digest, await containerd.ImageDigestAsync($"{harbor.Host}/library/app:1"));
        Assert.Equal(theirs.Digest, await containerd.ImageDigestAsync($"{hub.Host}/library/app:1"));

        // A push under the prefix lands at that source, its upload locations keeping the prefix.
        await Skopeo.CopyAsync($"docker://{harbor.Host}/library/app:1", $"docker://{gateway.Host}/dockerhub/library/pushed:1");
        Assert.Equal(ours.Digest, await atHub.ManifestDigestAsync("library/pushed", "1"));
        Assert.Null(await atHarbor.ManifestDigestAsync("library/pushed", "1"));
    }

    [Fact]
    public async Task SourcesThatCannotRoute_AreConfigurationErrors_NamingTheFileAndKey_AndNothingIsTouched()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("serve.yaml", $"""
            rules:
              - source: 127.0.0.1:1/lib/app
                destination: 127.0.0.1:2/mirror/app
            replicator:
              records: {workspace.Records}
            gateway:
              listen: http://127.0.0.1:{RegistryProcess.FreePort()}
              source: 127.0.0.1:1
              sources:
                - source: 127.0.0.1:1
                  mirror: 127.0.0.1:2
                - source: 127.0.0.1:1
                  prefix: a/
                - source: 127.0.0.1:3
                - source: 127.0.0.1:4
                  prefix: a/b
                - mirror: 127.0.0.1:2
                  auth: sometimes
                - source: 127.0.0.1:5
                  prefix: UPPER/
                  auth: basic
            """);

        var run = await CliRun.InvokeAsync("serve", "--config", config);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"{config}: gateway.source: cannot be given with gateway.sources", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[1].source: 127.0.0.1:1 is already the source of another entry", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[2].prefix: is required: 127.0.0.1:1 already takes the paths without a prefix", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[3].prefix: 'a/b/' overlaps the prefix 'a/'", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[4].source: is required", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[4].auth: 'sometimes' is not one of", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[5].htpasswd: is required when auth is basic", run.Error, StringComparison.Ordinal);
        Assert.Contains($"{config}: gateway.sources[5].prefix: 'UPPER/' is not a repository path", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.Records), "nothing may be touched");
    }
}
