using System.Diagnostics;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// podman (Debian's, no daemon) pulls through the gateway into its own storage (vfs, under a
/// temporary folder), from the mirror and with the source stopped; no container is run.
/// </summary>
public sealed class PodmanTests
{
    [Fact]
    public async Task PodmanPull_ThroughTheGateway_WorksWithTheSourceRunningAndStopped()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var image = await seeder.PushUnpackableImageAsync("lib/pod", "1", [ImageSeeder.TarLayer("pod.txt", ImageSeeder.RandomBytes(20_000, 410))]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/pod\": \"{mirror.Host}/mirror/pod\"\n");
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", workspace.InsecureAuth(source.Host, mirror.Host), "--images", images, "--records", workspace.Records)).ExitCode);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/pod"]);

        var running = await PodmanAsync(workspace, "pull", "--tls-verify=false", $"{gateway.Host}/lib/pod:1");
        Assert.True(running.ExitCode == 0, running.Output + gateway.Log);
        await source.StopAsync();
        var stopped = await PodmanAsync(workspace, "pull", "--tls-verify=false", $"{gateway.Host}/lib/pod@{image.Digest}");
        Assert.True(stopped.ExitCode == 0, stopped.Output + gateway.Log);

        var listed = await PodmanAsync(workspace, "images", "--digests", "--format", "{{.Digest}}");
        Assert.Contains(image.Digest, listed.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> PodmanAsync(Workspace workspace, params string[] arguments)
    {
        var storage = Path.Combine(workspace.Folder, "podman");
        string[] common = ["--root", Path.Combine(storage, "root"), "--runroot", Path.Combine(storage, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
        ProcessStartInfo info = new("podman", [.. common, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The podman test needs podman: install it with 'apt-get install podman' (scripts/install-prerequisites.sh does)", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
