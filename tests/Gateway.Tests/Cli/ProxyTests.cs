using System.Diagnostics;
using System.Text;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>Registries behind a corporate forward proxy: Debian's tinyproxy, for plain HTTP and for CONNECT.</summary>
public sealed class ProxyTests
{
    [Fact]
    public async Task ARegistrysOwnProxy_CarriesItsRequests_AndOnlyThose()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await TinyProxy.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/far", "1", [ImageSeeder.RandomBytes(20_000, 920)]);
        var config = workspace.Write("proxied.yaml", $"""
            registries:
              "{source.Host}": {"{"}insecure: true, proxy: "{proxy.Address}"{"}"}
              "{destination.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/lib/far
                destination: {destination.Host}/m/far
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/far", "1"));
        Assert.Contains($"GET http://{source.Host}/v2/lib/far/blobs/{image.LayerDigests[0]}", proxy.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(destination.Host, proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpProxyAndNoProxy_FromTheEnvironment_AreHonoured()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await TinyProxy.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/env", "1", [ImageSeeder.RandomBytes(20_000, 921)]);
        // NO_PROXY names hosts, not ports: the destination is the same loopback registry by another name.
        var local = $"localhost:{destination.Port}";
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/env:1\": \"{local}/m/env\"\n");
        var auth = workspace.InsecureAuth(source.Host, local);

        // The environment is read once per process: the command runs as its own process, as users run it.
        var (exit, output) = await RunAsync(
            ["sync", "--auth", auth, "--images", images, "--records", workspace.Records],
            new Dictionary<string, string> { ["HTTP_PROXY"] = proxy.Address.ToString(), ["HTTPS_PROXY"] = proxy.Address.ToString(), ["NO_PROXY"] = "localhost" });

        Assert.True(exit == 0, output);
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/env", "1"));
        Assert.Contains($"http://{source.Host}/v2/lib/env/manifests/1", proxy.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(local, proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnHttpsRegistry_IsReachedThroughACONNECTTunnel()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await TinyProxy.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/tls", "1", [ImageSeeder.RandomBytes(20_000, 922)]);

        // The gateway serves the registry API over TLS: the HTTPS registry at the far end of the tunnel.
        var tls = SelfSignedCertificate.Write(workspace.Folder);
        await using var https = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/tls"], auth: "anonymous", tls: tls);
        var config = workspace.Write("tunnel.yaml", $"""
            registries:
              "{https.Host}": {"{"}insecure: true, proxy: "{proxy.Address}"{"}"}
              "{destination.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {https.Host}/lib/tls
                destination: {destination.Host}/m/tls
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", Path.Combine(workspace.Folder, "tunnel.db"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/tls", "1"));
        Assert.Contains($"CONNECT {https.Host}", proxy.Log, StringComparison.Ordinal);
        Assert.DoesNotContain($"GET http://{https.Host}", proxy.Log, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "syncgateway.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
