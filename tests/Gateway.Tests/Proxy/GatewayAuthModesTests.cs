using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>The gateway's own users (basic), anonymous access, and TLS from a certificate file.</summary>
public sealed class GatewayAuthModesTests
{
    [Fact]
    public async Task Basic_UsersOfTheHtpasswdFileRead_WithTheGatewaysOwnSourceCredentials_OthersGet401()
    {
        await using var source = await RegistryProcess.StartAsync("service", "gateway-secret");
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host, "service", "gateway-secret");
        var image = await seeder.PushImageAsync("team/app", "1", [ImageSeeder.GzipBytes(5000, 400)]);
        var htpasswd = workspace.Write("htpasswd", await HtpasswdAsync("alice", "wonderland"));
        await using var gateway = await RunningGateway.StartAsync(
            workspace, source.Host, mirror.Host, ["team/app"], auth: $"basic\n  htpasswd: {htpasswd}",
            credentials: "username: service\n    password: gateway-secret");
        using var alice = Client(gateway, "alice", "wonderland");
        using var mallory = Client(gateway, "alice", "guess");
        using var nobody = new HttpClient { BaseAddress = gateway.BaseUri };

        using var allowed = await alice.GetAsync("v2/team/app/manifests/1");
        using var wrong = await mallory.GetAsync("v2/team/app/manifests/1");
        using var none = await nobody.GetAsync("v2/");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(image.Digest, ImageSeeder.DigestOf(await allowed.Content.ReadAsByteArrayAsync()));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Basic", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("UNAUTHORIZED", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(image.Digest, await Skopeo.ManifestDigestAsync($"{gateway.Host}/team/app:1", "alice:wonderland"));
    }

    [Fact]
    public async Task Anonymous_AnyoneReads_AndTheSourcesChallengeNeverReachesTheClient()
    {
        await using var source = await RegistryProcess.StartAsync("service", "gateway-secret");
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host, "service", "gateway-secret");
        var image = await seeder.PushImageAsync("team/app", "1", [ImageSeeder.GzipBytes(5000, 410)]);
        await using var gateway = await RunningGateway.StartAsync(
            workspace, source.Host, mirror.Host, ["team/app"], auth: "anonymous",
            credentials: "username: service\n    password: gateway-secret");
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);

        using var manifest = await http.GetAsync("v2/team/app/manifests/1");
        using var missing = await http.GetAsync("v2/team/app/manifests/nope");

        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(image.Digest, ImageSeeder.DigestOf(await manifest.Content.ReadAsByteArrayAsync()));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Empty(missing.Headers.WwwAuthenticate);
        Assert.DoesNotContain("gateway-secret", manifest.Headers.ToString() + missing.Headers.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_FromACertificateFile_ServesTheRegistryApiOverHttps()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var image = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.GzipBytes(5000, 420)]);
        var (certificate, key) = SelfSignedCertificate.Write(workspace.Folder);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"], tls: (certificate, key));

        Assert.Equal(image.Digest, await Skopeo.ManifestDigestAsync($"{gateway.Host}/lib/app:1"));
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert!.Subject == "CN=127.0.0.1" };
        using var https = new HttpClient(handler);
        https.DefaultRequestHeaders.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
        using var response = await https.GetAsync($"https://{gateway.Host}/v2/lib/app/manifests/1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static HttpClient Client(RunningGateway gateway, string user, string password)
    {
        var http = new HttpClient { BaseAddress = gateway.BaseUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        http.DefaultRequestHeaders.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
        return http;
    }

    private static async Task<string> HtpasswdAsync(string user, string password)
    {
        var info = new ProcessStartInfo("htpasswd", ["-nbB", user, password]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var line = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return line.Trim() + "\n";
    }
}
