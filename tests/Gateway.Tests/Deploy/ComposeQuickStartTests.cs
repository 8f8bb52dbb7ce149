using System.Diagnostics;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The compose quick start (examples/compose) as a user runs it, with Debian's docker-compose and
/// the image built from this tree: the seeded image reaches the mirror, and so does a push through
/// the gateway.
/// </summary>
[Collection(NativeBuild.Name)]
public sealed class ComposeQuickStartTests
{
    private const string Seeded = "sha256:9a8dc63673fcb831c5d0b95cc0fc32d6ae44b3e8e7420abb48bf2816b0a44878";

    [Fact]
    public async Task ComposeUp_ReplicatesTheSeededImage_AndAPushThroughTheGateway()
    {
        var image = await SyncGatewayImage.TagAsync();
        var folder = Path.Combine(Repository.Root(), "examples", "compose");
        var project = $"sgquickstart{Guid.NewGuid().ToString("N")[..8]}";
        var (gateway, source, mirror) = (RegistryProcess.FreePort(), RegistryProcess.FreePort(), RegistryProcess.FreePort());
        var environment = new Dictionary<string, string>
        {
            ["SYNCGATEWAY_IMAGE"] = image,
            ["GATEWAY_PORT"] = $"{gateway}",
            ["SOURCE_PORT"] = $"{source}",
            ["MIRROR_PORT"] = $"{mirror}",
        };
        try
        {
            var (up, upOutput) = await ComposeAsync(folder, project, environment, "up", "-d");
            Assert.True(up == 0, upOutput);
            using var atMirror = new ImageSeeder($"127.0.0.1:{mirror}");
            using var atSource = new ImageSeeder($"127.0.0.1:{source}");
            Assert.True(await Proxy.Wait.UntilAsync(async () => await ManifestOrNullAsync(atMirror, "mirror/hello", "1") == Seeded, seconds: 90), (await ComposeAsync(folder, project, environment, "logs")).Output);

            await Skopeo.CopyAsync($"docker://127.0.0.1:{mirror}/mirror/hello:1", $"docker://127.0.0.1:{gateway}/library/hello:2");

            Assert.Equal(Seeded, await atSource.ManifestDigestAsync("library/hello", "2"));
            Assert.True(await Proxy.Wait.UntilAsync(async () => await ManifestOrNullAsync(atMirror, "mirror/hello", "2") == Seeded, seconds: 60), (await ComposeAsync(folder, project, environment, "logs")).Output);
        }
        finally
        {
            await ComposeAsync(folder, project, environment, "down", "-v");
        }
    }

    private static async Task<string?> ManifestOrNullAsync(ImageSeeder registry, string repository, string tag)
    {
        try
        {
            return await registry.ManifestDigestAsync(repository, tag);
        }
        catch (HttpRequestException)
        {
            return null; // not up yet
        }
    }

    private static async Task<(int ExitCode, string Output)> ComposeAsync(string folder, string project, Dictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("docker-compose", ["-p", project, .. arguments]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DOCKER_HOST"] = DockerEngine.Endpoint.ToString();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("docker-compose did not start (apt-get install docker-compose)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"docker-compose {string.Join(' ', arguments)} took longer than 3 minutes: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
