using System.Diagnostics;
using System.Net;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The native executable (<c>dotnet publish -p:PublishAot=true</c>, README "Build and run"), built
/// from a copy of the sources as the Dockerfile's build stage sees them and used as a user would:
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
        var binary = await PublishAsync(workspace.Folder);
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

    // The sources copied as the Dockerfile copies them, so the build leaves this tree's obj/ alone.
    private static async Task<string> PublishAsync(string folder)
    {
        var root = Repository.Root();
        var tree = Path.Combine(folder, "tree");
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            Directory.CreateDirectory(tree);
            File.Copy(Path.Combine(root, file), Path.Combine(tree, file));
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, relative))!);
            File.Copy(file, Path.Combine(tree, relative));
        }

        var output = Path.Combine(folder, "native");
        var publish = await RunAsync("dotnet", "publish", Path.Combine(tree, "src/Gateway/SyncGateway.Gateway.csproj"), "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "--nologo");
        Assert.True(publish.ExitCode == 0, $"the native publish failed (it needs clang and zlib1g-dev; scripts/install-prerequisites.sh installs them):\n{publish}");
        var binary = Path.Combine(output, "syncgateway");
        Assert.True(File.Exists(binary), publish.ToString());
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

/// <summary>Tests that run alone, after every test that runs in parallel: the native compile takes the whole machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeBuild
{
    public const string Name = "Native build";
}
