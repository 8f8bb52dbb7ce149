using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The Dockerfile in its parts, with no engine needed: the publish step it runs works and gives a
/// runnable native syncgateway, the runtime stage runs it as a non-root user with the records on a
/// volume, and its health check command answers. <see cref="ImageTests"/> builds and runs the image
/// whole. In the native build's collection, as the publish is the one it shares.
/// </summary>
[Collection(NativeBuild.Name)]
public sealed class DockerfileTests
{
    [Fact]
    public async Task ThePublishStepOfTheDockerfile_ProducesARunnableNativeSyncgateway_AndTheRuntimeStageRunsIt()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "Dockerfile"));
        var output = await NativePublish.FolderAsync();

        var help = await CliProcess.RunProgramAsync(Path.Combine(output, "syncgateway"), ["--help"], new Dictionary<string, string>(), TimeSpan.FromMinutes(1));

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("serve", help.ToString(), StringComparison.Ordinal);
        Assert.Contains("sync", help.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "libe_sqlite3.so")), "the publish must hold the SQLite library the runtime stage copies");
        var runtime = dockerfile[dockerfile.IndexOf("AS runtime", StringComparison.Ordinal)..];
        Assert.Contains("COPY --from=published /out/syncgateway /out/libe_sqlite3.so /app/", runtime, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/app/syncgateway\"]", runtime, StringComparison.Ordinal);
        Assert.Matches(@"USER 10001", runtime);
        Assert.Contains("VOLUME [\"/var/lib/syncgateway\"]", runtime, StringComparison.Ordinal);
        Assert.Contains("HEALTHCHECK", runtime, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHealthCheckCommand_Answers0ForAHealthyGateway_And1ForNone()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);

        var healthy = await CliRun.InvokeAsync("probe", $"http://{gateway.Host}/healthz");
        var nobody = await CliRun.InvokeAsync("probe", $"http://127.0.0.1:{RegistryProcess.FreePort()}/healthz");

        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        Assert.Equal(1, nobody.ExitCode);
    }
}
