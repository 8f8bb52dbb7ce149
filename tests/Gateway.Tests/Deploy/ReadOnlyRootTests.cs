using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The chart sets <c>readOnlyRootFilesystem: true</c> on every container: these run the program
/// the way those pods do (a read-only root, a writable <c>/tmp</c> and records volume) against real
/// registries, and check that it still does its work.
/// </summary>
public sealed class ReadOnlyRootTests
{
    [Fact]
    public async Task Sync_OnAReadOnlyRoot_CopiesTheImage_WritingOnlyTmpAndItsRecords()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        var image = await seeder.PushImageAsync("library/app", "1.0", [ImageSeeder.RandomBytes(4096, 1), ImageSeeder.RandomBytes(2048, 2)]);
        using var root = new ReadOnlyRoot();
        var config = root.Write("syncgateway.yaml", Config(source.Host, destination.Host, gateway: null));

        root.Start("sync", "--config", config, "--records", Path.Combine(root.Records, "syncgateway.db"));
        var exitCode = await root.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 0, root.Output);
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("mirror/app", "1.0"));
        Assert.Contains("Synced 1, already in sync 0, failed 0", root.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(root.Records, "syncgateway.db")), "the records were written to the volume, not to the host folder under it");
    }

    [Fact]
    public async Task Serve_OnAReadOnlyRoot_ComesUpReady_AndReplicatesAtStart()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(mirror.Host);
        var image = await seeder.PushImageAsync("library/app", "1.0", [ImageSeeder.RandomBytes(4096, 3)]);
        var port = RegistryProcess.FreePort();
        using var root = new ReadOnlyRoot();
        var config = root.Write("syncgateway.yaml", Config(source.Host, mirror.Host, gateway: $"""
            gateway:
              listen: http://127.0.0.1:{port}
              source: {source.Host}
              mirror: {mirror.Host}
              auth: anonymous
            """));

        root.Start("serve", "--config", config, "--records", Path.Combine(root.Records, "syncgateway.db"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = await Wait.UntilAsync(async () => root.Running && (await http.GetAsync($"http://127.0.0.1:{port}/readyz")).IsSuccessStatusCode, seconds: 30);
        var replicated = ready && await Wait.UntilAsync(async () => await reader.ManifestDigestAsync("mirror/app", "1.0") == image.Digest, seconds: 30);

        Assert.True(ready, root.Output);
        Assert.True(replicated, root.Output);
        Assert.True(root.Running, root.Output);
    }

    private static string Config(string source, string destination, string? gateway) => $"""
        registries:
          "{source}": {"{insecure: true}"}
          "{destination}": {"{insecure: true}"}
        rules:
          - source: {source}/library/app
            destination: {destination}/mirror/app
        {gateway}
        """;
}
