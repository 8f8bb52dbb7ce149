using System.Diagnostics;
using System.Net;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The native executable (<c>dotnet publish -p:PublishAot=true</c>, README "Build and run"; what the
/// image ships), the Dockerfile's own publish (<see cref="NativePublish"/>), used as a user would:
/// <c>sync</c> cold and again, its output files, <c>verify</c>, and <c>serve</c> answering a pull.
/// Its compile takes minutes of both cores, so it runs alone, after the tests that run in parallel.
/// </summary>
[Collection(NativeBuild.Name)]
public sealed class NativeBuildTests
{
    [Fact]
    public async Task TheNativeExecutable_Syncs_Verifies_AndServes_AsTheDefaultBuildDoes()
    {
        using var workspace = new Workspace();
        var binary = await PublishAsync();
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        var app = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(300_000, 1400), ImageSeeder.RandomBytes(100_000, 1401)]);
        var tool = await seeder.PushImageAsync("lib/tool", "2", [ImageSeeder.RandomBytes(50_000, 1402)], ImageSeeder.DockerManifest);
        var config = workspace.Write("image-syncer.json", $$$"""
            {
              "auth": {"{{{source.Host}}}": {"insecure": true}, "{{{destination.Host}}}": {"insecure": true}},
              "images": {"{{{source.Host}}}/lib/app:1": "{{{destination.Host}}}/m/app", "{{{source.Host}}}/lib/tool:2": "{{{destination.Host}}}/m/tool"}
            }
            """);
        var succeeded = Path.Combine(workspace.Folder, "ok.json");

        var cold = await RunAsync(binary, "sync", "--config", config, "--records", workspace.Records, "--output-success-images", succeeded, "--output-images-format", "json");
        var again = await RunAsync(binary, "sync", "--config", config, "--records", workspace.Records);
        var verify = await RunAsync(binary, "verify", "--config", config, "--json");

        Assert.True(cold.ExitCode == 0, cold.ToString());
        Assert.Equal(app.Digest, await reader.ManifestDigestAsync("m/app", "1"));
        Assert.Equal(tool.Digest, await reader.ManifestDigestAsync("m/tool", "2"));
        Assert.Contains($"{destination.Host}/m/app:1", await File.ReadAllTextAsync(succeeded), StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Synced 0, already in sync 2", again.ToString(), StringComparison.Ordinal);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains(app.Digest, verify.ToString(), StringComparison.Ordinal);

        // serve: the gateway answers a pull of the mirrored image from the mirror.
        var port = RegistryProcess.FreePort();
        var daemon = workspace.Write("gateway.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/app
                destination: {{destination.Host}}/m/app
            replicator:
              records: {{workspace.Records}}
            gateway:
              listen: http://127.0.0.1:{{port}}
              source: {{source.Host}}
              mirror: {{destination.Host}}
            """);
        using var serve = Start(binary, "serve", "--config", daemon);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            Assert.True(await Wait.UntilAsync(async () => await AnswersAsync(http), seconds: 30), "serve did not answer /healthz");
            // A tag is resolved at the source; the content, by digest, comes from the mirror.
            Assert.True(await Wait.UntilAsync(async () => await BackendAsync(http, app.Digest) == "mirror", seconds: 30), "the pull by digest was not served from the mirror");
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/lib/app/manifests/{app.Digest}");
            request.Headers.Accept.ParseAdd(ImageSeeder.OciManifest);
            using var pulled = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            Assert.Equal(app.Digest, ImageSeeder.DigestOf(await pulled.Content.ReadAsByteArrayAsync()));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }

    // The Dockerfile's publish, shared with the image's tests.
    private static async Task<string> PublishAsync()
    {
        var output = await NativePublish.FolderAsync();
        var binary = Path.Combine(output, "syncgateway");
        Assert.True(File.Exists(binary), $"no syncgateway in {output}");
        Assert.False(File.Exists(Path.Combine(output, "syncgateway.dll")), "a native publish has no managed entry assembly");
        return binary;
    }

    private static async Task<string?> BackendAsync(HttpClient http, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/lib/app/manifests/{digest}");
        request.Headers.Accept.ParseAdd(ImageSeeder.OciManifest);
        using var answer = await http.SendAsync(request);
        return answer.StatusCode == HttpStatusCode.OK && answer.Headers.TryGetValues("X-SyncGateway-Backend", out var backend) ? backend.Single() : null;
    }

    private static async Task<bool> AnswersAsync(HttpClient http)
    {
        try
        {
            using var answer = await http.GetAsync("healthz");
            return answer.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static Process Start(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Task<CliRun> RunAsync(string program, params string[] arguments) =>
        CliProcess.RunProgramAsync(program, arguments, new Dictionary<string, string>(), TimeSpan.FromMinutes(12));
}

/// <summary>
/// Tests that run alone, after every test that runs in parallel: the native compile they share
/// (<see cref="NativePublish"/>) takes the whole machine. The native executable's, the Dockerfile's
/// and the image's (which is built from that publish).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeBuild
{
    public const string Name = "Native build";
}
