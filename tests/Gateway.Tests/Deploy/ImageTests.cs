using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Microsoft.Data.Sqlite;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The shipped image, built and run: <c>syncgateway serve</c> in it as the image's user, the records
/// on a volume and the configuration mounted read-only, in front of two <c>registry:2</c>
/// containers on a network of the test's own; ports on 127.0.0.1 only.
/// </summary>
[Collection(NativeBuild.Name)]
public sealed class ImageTests
{
    [Fact]
    public async Task TheImage_ServesAsItsNonRootUser_BecomesHealthy_ReplicatesAPush_AndKeepsItsRecordsOnTheVolumeAcrossARestart()
    {
        var image = await SyncGatewayImage.TagAsync();
        using var workspace = new Workspace();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await using var network = new NetworkBuilder().WithName($"syncgateway-image-{suffix}").WithLabel(DockerEngine.OwnerLabel, DockerEngine.Owner).Build();
        await network.CreateAsync();
        var mirrorPort = RegistryProcess.FreePort();
        await using var source = Registry(network, "source", port: null);
        await using var mirror = Registry(network, "mirror", mirrorPort);
        await Task.WhenAll(source.StartAsync(), mirror.StartAsync());
        var config = workspace.Write("syncgateway.yaml", """
            registries:
              "source:5000":
                insecure: true
              "mirror:5000":
                insecure: true
            rules:
              - source: source:5000/lib/app
                destination: mirror:5000/mirror/app
            replicator:
              pollInterval: 0
            gateway:
              listen: http://0.0.0.0:5000
              source: source:5000
              mirror: mirror:5000
              auth: passthrough
            """);
        var volume = $"syncgateway-records-{suffix}";
        var port = RegistryProcess.FreePort();
        await using var gateway = new ContainerBuilder(image)
            .WithNetwork(network)
            .WithPortBinding(port, 5000)
            .WithCreateParameterModifier(parameters =>
            {
                OnLoopbackOnly(parameters);
                // the image's own health check, probed every second instead of every 30 s
                parameters.Healthcheck = new() { Interval = TimeSpan.FromSeconds(1) };
            })
            .WithBindMount(config, "/etc/syncgateway/syncgateway.yaml", AccessMode.ReadOnly)
            .WithVolumeMount(volume, "/var/lib/syncgateway")
            .WithLabel(DockerEngine.OwnerLabel, DockerEngine.Owner)
            .Build();
        using var docker = DockerEngine.Client();
        try
        {
            await gateway.StartAsync();
            await WaitHealthyAsync(docker, gateway);

            var inspected = await docker.Images.InspectImageAsync(image);
            Assert.Equal("10001:10001", inspected.Config?.User);
            Assert.Contains("5000/tcp", inspected.Config!.ExposedPorts!.Keys);
            Assert.Equal(["/app/syncgateway"], inspected.Config.Entrypoint);
            var user = await gateway.ExecAsync(["id", "-u"]);
            Assert.Equal("10001", user.Stdout.Trim());
            var running = await docker.Containers.InspectContainerAsync(gateway.Id);
            Assert.All(running.NetworkSettings!.Ports!["5000/tcp"]!, binding => Assert.Equal("127.0.0.1", binding.HostIP));
            Assert.Contains(running.Mounts, m => m.Destination == "/etc/syncgateway/syncgateway.yaml" && !m.RW);

            // push through the gateway with skopeo, from a registry of this test
            await using var seed = await RegistryProcess.StartAsync();
            using var atSeed = new ImageSeeder(seed.Host);
            var pushed = await atSeed.PushImageAsync("lib/app", "1", [ImageSeeder.GzipBytes(100_000, 1401)]);
            await Skopeo.CopyAsync($"docker://{seed.Host}/lib/app:1", $"docker://127.0.0.1:{port}/lib/app:1");
            using var atMirror = new ImageSeeder($"127.0.0.1:{mirrorPort}");
            Assert.True(await Proxy.Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/app", "1") == pushed.Digest, seconds: 60), await LogsAsync(gateway));

            var before = await ReplicatedAtAsync(gateway, workspace, "before");
            // with the source gone, the restarted gateway's bulk sync can record nothing anew:
            // what the records hold then is what the volume kept
            await source.StopAsync();
            await gateway.StopAsync();
            await gateway.StartAsync();
            await WaitHealthyAsync(docker, gateway);
            var after = await ReplicatedAtAsync(gateway, workspace, "after");

            Assert.NotNull(before);
            Assert.Equal(before, after);
        }
        finally
        {
            await gateway.DisposeAsync();
            await docker.Volumes.RemoveAsync(volume, force: true);
        }
    }

    internal static void OnLoopbackOnly(CreateContainerParameters parameters)
    {
        foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(bindings => bindings) ?? [])
        {
            binding.HostIP = "127.0.0.1";
        }
    }

    private static IContainer Registry(DotNet.Testcontainers.Networks.INetwork network, string alias, int? port)
    {
        var builder = new ContainerBuilder(RegistryContainer.Image)
            .WithNetwork(network)
            .WithNetworkAliases(alias)
            .WithTmpfsMount("/var/lib/registry")
            .WithLabel(DockerEngine.OwnerLabel, DockerEngine.Owner);
        return (port is { } published ? builder.WithPortBinding(published, 5000).WithCreateParameterModifier(OnLoopbackOnly) : builder).Build();
    }

    private static async Task WaitHealthyAsync(Docker.DotNet.DockerClient docker, IContainer container)
    {
        var status = "none";
        for (var attempt = 0; attempt < 120; attempt++)
        {
            var state = (await docker.Containers.InspectContainerAsync(container.Id)).State;
            status = state?.Health?.Status ?? "none";
            if (status == "healthy")
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"the container's health check said '{status}' for 60 s: {await LogsAsync(container)}");
    }

    private static async Task<string> LogsAsync(IContainer container)
    {
        var (stdout, stderr) = await container.GetLogsAsync();
        return stdout + stderr;
    }

    /// <summary>When the records on the volume say the mirror got <c>mirror/app:1</c> (copied out of the container).</summary>
    private static async Task<string?> ReplicatedAtAsync(IContainer gateway, Workspace workspace, string name)
    {
        var folder = Directory.CreateDirectory(Path.Combine(workspace.Folder, name)).FullName;
        foreach (var file in new[] { "syncgateway.db", "syncgateway.db-wal", "syncgateway.db-shm" })
        {
            try
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, file), await gateway.ReadFileAsync($"/var/lib/syncgateway/{file}"));
            }
            catch (Exception) when (file != "syncgateway.db")
            {
                // no WAL at that moment
            }
        }

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "syncgateway.db")};Pooling=False");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT replicated_at FROM tags WHERE repository = 'mirror/app' AND tag = '1'";
        return await query.ExecuteScalarAsync() as string;
    }
}
