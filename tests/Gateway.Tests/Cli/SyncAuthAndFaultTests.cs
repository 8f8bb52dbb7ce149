using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// Token auth, dropped downloads and docker logins, with a real registry behind a fault proxy that
/// plays the registry's token service and breaks connections.
/// </summary>
public sealed class SyncAuthAndFaultTests
{
    [Fact]
    public async Task BearerTokens_AreFetchedPerScope_AndFetchedAgainWhenTheyExpireMidRun()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var images = new List<SeededImage>();
        for (var i = 0; i < 4; i++)
        {
            images.Add(await seeder.PushImageAsync($"private/app{i}", "1", [ImageSeeder.RandomBytes(20_000, 200 + i)]));
        }

        var tokenService = new TokenService(proxy, "robot$sync", "t0ken$ecret", expireAfterUses: 2);
        proxy.Fault = tokenService.HandleAsync;
        var auth = workspace.Write("auth.yaml", $"""
            "{proxy.Host}": {"{"}username: "robot$sync", password: "t0ken$ecret", insecure: true{"}"}
            "{destination.Host}": {"{"}insecure: true{"}"}
            """);
        var lines = Enumerable.Range(0, 4).Select(i => $"\"{proxy.Host}/private/app{i}:1\": \"{destination.Host}/m/app{i}\"");
        var imagesFile = workspace.Write("images.yaml", string.Join('\n', lines) + "\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", imagesFile, "--records", workspace.Records, "--proc", "1");

        Assert.True(run.ExitCode == 0, run.ToString() + string.Join('\n', proxy.Requests));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(images[i].Digest, await reader.ManifestDigestAsync($"m/app{i}", "1"));
        }

        Assert.True(tokenService.Issued >= 4, $"one token per repository scope at least, and new ones after expiry; issued {tokenService.Issued}");
        Assert.True(tokenService.Expired > 0, "the run must have met an expired token");
        Assert.Contains(tokenService.Scopes, s => s == "repository:private/app3:pull");
        Assert.Equal(0, tokenService.BadLogins);
    }

    [Fact]
    public async Task ATokenRealmOnAnotherPlainHttpHost_IsNotFollowed()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        await seeder.PushImageAsync("private/app", "1", [ImageSeeder.RandomBytes(1000, 210)]);
        var realmRequests = 0;
        proxy.Fault = async context =>
        {
            if (context.Request.Path.StartsWithSegments("/token"))
            {
                Interlocked.Increment(ref realmRequests);
            }

            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"http://127.0.0.2:9/token\",service=\"elsewhere\"";
            await context.Response.WriteAsync("""{"errors":[{"code":"UNAUTHORIZED","message":"login"}]}""");
            return true;
        };
        var auth = workspace.Write("auth.yaml", $"\"{proxy.Host}\": {{username: u, password: secret, insecure: true}}\n\"{destination.Host}\": {{insecure: true}}\n");
        var images = workspace.Write("images.yaml", $"\"{proxy.Host}/private/app:1\": \"{destination.Host}/m/app\"\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--retries", "0");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("neither https nor the registry's own address", run.Out, StringComparison.Ordinal);
        Assert.Equal(0, realmRequests);
    }

    [Fact]
    public async Task ADroppedDownload_ResumesWithARangeRequest()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var layer = ImageSeeder.RandomBytes(2 * 1024 * 1024, 220);
        var image = await seeder.PushImageAsync("lib/big", "1", [layer]);
        var layerPath = $"/v2/lib/big/blobs/{image.LayerDigests[0]}";
        var ranges = new ConcurrentQueue<string>();
        var dropped = 0;
        proxy.Fault = async context =>
        {
            if (context.Request.Method != "GET" || context.Request.Path.Value != layerPath)
            {
                return false;
            }

            ranges.Enqueue(context.Request.Headers.Range.ToString());
            if (Interlocked.Exchange(ref dropped, 1) == 1)
            {
                return false;
            }

            // The body ends cleanly after the first megabyte of the layer: a download cut short.
            await context.Response.Body.WriteAsync(layer.AsMemory(0, 1024 * 1024));
            return true;
        };
        var auth = workspace.InsecureAuth(proxy.Host, destination.Host);
        var images = workspace.Write("images.yaml", $"\"{proxy.Host}/lib/big:1\": \"{destination.Host}/m/big\"\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--retries", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/big", "1"));
        Assert.Equal(["", "bytes=1048576-"], ranges.ToArray());
    }

    [Fact]
    public async Task ADockerLogin_IsUsedForAHostWithoutCredentialsInTheConfiguration()
    {
        await using var source = await RegistryProcess.StartAsync("docker-user", "docker-pass");
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host, "docker-user", "docker-pass");
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(1000, 230)]);
        var dockerConfig = Directory.CreateDirectory(Path.Combine(workspace.Folder, "docker")).FullName;
        var login = Convert.ToBase64String(Encoding.UTF8.GetBytes("docker-user:docker-pass"));
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), $$"""{"auths": {"{{source.Host}}": {"auth": "{{login}}"} } }""");
        var auth = workspace.InsecureAuth(source.Host, destination.Host);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/app:1\": \"{destination.Host}/m/app\"\n");

        Environment.SetEnvironmentVariable("DOCKER_CONFIG", dockerConfig);
        CliRun run;
        try
        {
            run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_CONFIG", null);
        }

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", "1"));
    }

    /// <summary>
    /// A token service in front of the registry: Basic login at /token gives a bearer token for
    /// the asked scope, and a token stops working after a few uses, as a short-lived one would.
    /// </summary>
    private sealed class TokenService(FaultProxy proxy, string username, string password, int expireAfterUses)
    {
        private readonly ConcurrentDictionary<string, int> _uses = new();
        private int _issued;
        private int _expired;
        private int _badLogins;

        public int Issued => _issued;

        public int Expired => _expired;

        public int BadLogins => _badLogins;

        public ConcurrentBag<string> Scopes { get; } = [];

        public async Task<bool> HandleAsync(HttpContext context)
        {
            if (context.Request.Path.StartsWithSegments("/token"))
            {
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
                if (context.Request.Headers.Authorization != expected)
                {
                    Interlocked.Increment(ref _badLogins);
                    context.Response.StatusCode = 401;
                    return true;
                }

                foreach (var scope in context.Request.Query["scope"])
                {
                    Scopes.Add(scope!);
                }

                var token = $"token-{Interlocked.Increment(ref _issued)}";
                _uses[token] = 0;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{"token": "{{token}}", "expires_in": 300}""");
                return true;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null;
            if (presented is not null && _uses.TryGetValue(presented, out var uses))
            {
                if (uses < expireAfterUses)
                {
                    _uses[presented] = uses + 1;
                    return false;
                }

                Interlocked.Increment(ref _expired);
            }

            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{proxy.Host}/token\",service=\"test-registry\"";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""");
            return true;
        }
    }
}
