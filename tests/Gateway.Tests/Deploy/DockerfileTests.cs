using System.Diagnostics;
using System.Text.RegularExpressions;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The Dockerfile in its parts, with no engine needed: the publish step it runs works and gives a
/// runnable syncgateway, the runtime stage runs as a non-root user with the records on a volume,
/// and its health check command answers. <see cref="ImageTests"/> builds and runs the image whole.
/// </summary>
public sealed partial class DockerfileTests
{
    [Fact]
    public async Task ThePublishStepOfTheDockerfile_ProducesARunnableSyncgateway()
    {
        var root = Repository.Root();
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "Dockerfile"));
        var publish = PublishLine().Match(dockerfile);
        Assert.True(publish.Success, "the Dockerfile must publish with 'RUN dotnet publish ... -o /out'");
        using var workspace = new Workspace();
        var output = Path.Combine(workspace.Folder, "out");
        var arguments = publish.Groups["args"].Value.Replace("-o /out", $"-o {output}", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var (published, log) = await RunAsync("dotnet", ["publish", .. arguments], root);
        Assert.True(published == 0, log);
        var (help, usage) = await RunAsync("dotnet", [Path.Combine(output, "syncgateway.dll"), "--help"], root);

        Assert.Equal(0, help);
        Assert.Contains("serve", usage, StringComparison.Ordinal);
        Assert.Contains("sync", usage, StringComparison.Ordinal);
        var runtime = dockerfile[dockerfile.IndexOf("AS runtime", StringComparison.Ordinal)..];
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

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string folder)
    {
        var info = new ProcessStartInfo(program, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"RUN dotnet publish (?<args>[^\n]*-o /out[^\n]*)")]
    private static partial Regex PublishLine();
}
