using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// <c>syncgateway sync</c> against real registries in token-auth mode (distribution's
/// <c>auth.token</c>), whose tokens come from a token service the test runs and configures: who may
/// log in, what each login may do to each repository, and how long tokens live. The realm is on
/// 127.0.0.1 but another port than the registry, over plain HTTP, which the product follows only
/// because the auth files mark the registries insecure.
/// </summary>
public sealed class TokenAuthTests
{
    private const string Seeder = "seeder";
    private const string SeederPassword = "seed-secret";
    private const string SyncUser = "robot$sync";
    private const string SyncPassword = "t0ken$ecret";
    private static readonly string[] Everything = ["*"];

    [Fact]
    public async Task TheTokenRegistry_ServesOnlyRequestsWithAValidTokenForTheirScope()
    {
        await using var issuer = await StartIssuerAsync();
        issuer.Policy = (user, _) => user == Seeder ? Everything : ["pull"];
        await using var registry = await RegistryProcess.StartWithTokenAuthAsync(issuer, "token-registry");
        using var seeder = new ImageSeeder(registry.Host, Seeder, SeederPassword);
        await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(1000, 900)]);
        using var http = new HttpClient();
        var manifest = new Uri(registry.BaseUri, "v2/lib/app/manifests/1");
        var uploads = new Uri(registry.BaseUri, "v2/lib/app/blobs/uploads/");

        using var anonymous = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, manifest));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal($"Bearer realm=\"{issuer.Realm}\",service=\"token-registry\",scope=\"repository:lib/app:pull\"", anonymous.Headers.WwwAuthenticate.ToString());

        var pull = await FetchTokenAsync(http, issuer, "token-registry", "repository:lib/app:pull,push");
        using var read = await SendAsync(http, HttpMethod.Head, manifest, pull);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var write = await SendAsync(http, HttpMethod.Post, uploads, pull);
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", write.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(["repository:lib/app:pull"], issuer.Issued.Last().Granted);

        var forOtherRegistry = await FetchTokenAsync(http, issuer, "another-registry", "repository:lib/app:pull");
        using var misdirected = await SendAsync(http, HttpMethod.Head, manifest, forOtherRegistry);
        Assert.Equal(HttpStatusCode.Unauthorized, misdirected.StatusCode);

        issuer.Lifetime = TimeSpan.FromSeconds(1);
        var shortLived = await FetchTokenAsync(http, issuer, "token-registry", "repository:lib/app:pull");
        using (var fresh = await SendAsync(http, HttpMethod.Head, manifest, shortLived))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        // exp is whole seconds: the registry refuses the token within 2 s of its issue.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var expired = await SendAsync(http, HttpMethod.Head, manifest, shortLived);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("error=\"invalid_token\"", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var badLogin = new HttpRequestMessage(HttpMethod.Get, $"{issuer.Realm}?service=token-registry&scope=repository:lib/app:pull");
        badLogin.Headers.Authorization = Basic(SyncUser, "wrong");
        using var refused = await http.SendAsync(badLogin);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(1, issuer.RefusedLogins);
    }

    [Fact]
    public async Task ATokenAuthSource_IsCopiedWithAPullTokenPerRepository_AndTheDigestsStayTheSame()
    {
        await using var issuer = await StartIssuerAsync();
        issuer.Policy = (user, _) => user == Seeder ? Everything : ["pull"];
        await using var source = await RegistryProcess.StartWithTokenAuthAsync(issuer, "source-registry");
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host, Seeder, SeederPassword);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var app1 = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.GzipBytes(30_000, 910), ImageSeeder.GzipBytes(20_000, 911)]);
        var app2 = await seeder.PushImageAsync("lib/app", "2", [ImageSeeder.GzipBytes(30_000, 912)]);
        var web = await seeder.PushImageAsync("lib/web", "1", [ImageSeeder.GzipBytes(30_000, 913)], ImageSeeder.DockerManifest);
        var seeded = issuer.Issued.Count;
        var auth = workspace.Write("auth.yaml", $"""
            "{source.Host}": {"{"}username: "{SyncUser}", password: "{SyncPassword}", insecure: true{"}"}
            "{destination.Host}": {"{"}insecure: true{"}"}
            """);
        var images = workspace.Write("images.yaml", $"""
            "{source.Host}/lib/app": "{destination.Host}/m/app"
            "{source.Host}/lib/web:1": "{destination.Host}/m/web"
            """);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(app1.Digest, await reader.ManifestDigestAsync("m/app", "1"));
        Assert.Equal(app2.Digest, await reader.ManifestDigestAsync("m/app", "2"));
        Assert.Equal(web.Digest, await reader.ManifestDigestAsync("m/web", "1"));
        var tokens = issuer.Issued.Skip(seeded).ToList();
        Assert.All(tokens, t => Assert.Equal(SyncUser, t.User));
        Assert.All(tokens, t => Assert.Equal("source-registry", t.Service));
        Assert.Equal(["repository:lib/app:pull", "repository:lib/web:pull"], tokens.Select(t => t.Scope).Distinct().Order());
        Assert.All(tokens, t => Assert.Equal(t.Scopes, t.Granted));
        Assert.Equal(0, issuer.RefusedLogins);
    }

    [Fact]
    public async Task ATokenAuthSourceWithAnonymousPulls_IsCopiedWithoutCredentials()
    {
        await using var issuer = await StartIssuerAsync();
        issuer.AllowAnonymous = true;
        issuer.Policy = (user, _) => user is null ? ["pull"] : Everything;
        await using var source = await RegistryProcess.StartWithTokenAuthAsync(issuer, "public-registry");
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host, Seeder, SeederPassword);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("library/app", "1", [ImageSeeder.GzipBytes(20_000, 915)]);
        var seeded = issuer.Issued.Count;
        var auth = workspace.InsecureAuth(source.Host, destination.Host);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/library/app:1\": \"{destination.Host}/m/app\"\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", "1"));
        var token = Assert.Single(issuer.Issued.Skip(seeded));
        Assert.Null(token.User);
        Assert.Equal(["repository:library/app:pull"], token.Granted);
    }

    [Fact]
    public async Task ATokenAuthDestination_GetsASharedLayerMountedWithATwoRepositoryScope()
    {
        await using var issuer = await StartIssuerAsync();
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartWithTokenAuthAsync(issuer, "destination-registry");
        await using var proxy = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host, Seeder, SeederPassword);
        using var workspace = new Workspace();
        var shared = ImageSeeder.GzipBytes(200_000, 920);
        var sharedDigest = ImageSeeder.DigestOf(shared);
        var a = await seeder.PushImageAsync("lib/a", "1", [shared, ImageSeeder.GzipBytes(10_000, 921)]);
        var b = await seeder.PushImageAsync("lib/b", "1", [shared, ImageSeeder.GzipBytes(10_000, 922)]);
        var auth = workspace.Write("auth.yaml", $"""
            "{source.Host}": {"{"}insecure: true{"}"}
            "{proxy.Host}": {"{"}username: "{SyncUser}", password: "{SyncPassword}", insecure: true{"}"}
            """);
        var images = workspace.Write("images.yaml", $"""
            "{source.Host}/lib/a:1": "{proxy.Host}/m/a"
            "{source.Host}/lib/b:1": "{proxy.Host}/m/b"
            """);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records, "--proc", "1");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(a.Digest, await reader.ManifestDigestAsync("m/a", "1"));
        Assert.Equal(b.Digest, await reader.ManifestDigestAsync("m/b", "1"));
        Assert.True(await reader.BlobExistsAsync("m/a", sharedDigest) && await reader.BlobExistsAsync("m/b", sharedDigest), "both repositories hold the shared layer");

        // Whichever image went first, the other's shared layer is a mount from its repository.
        string MountRequest(string target, string from) => $"POST /v2/{target}/blobs/uploads/?mount={sharedDigest}&from={Uri.EscapeDataString(from)}";
        var mount = Assert.Single(proxy.Requests, r => r == MountRequest("m/b", "m/a") || r == MountRequest("m/a", "m/b"));
        var (into, other) = mount == MountRequest("m/b", "m/a") ? ("m/b", "m/a") : ("m/a", "m/b");
        var token = Assert.Single(issuer.Issued, t => t.Scope == $"repository:{into}:pull,push repository:{other}:pull");
        Assert.Equal(SyncUser, token.User);
        Assert.Equal([$"repository:{into}:pull,push", $"repository:{other}:pull"], token.Granted);
        Assert.Contains("mounted 1 (", run.Out, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString(sharedDigest), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TokensThatExpireMidRun_AreFetchedAgain_AndTheRunCompletes()
    {
        await using var issuer = await StartIssuerAsync();
        await using var source = await RegistryProcess.StartWithTokenAuthAsync(issuer, "source-registry");
        await using var proxy = await FaultProxy.StartAsync(source.BaseUri);
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host, Seeder, SeederPassword);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var images = new List<SeededImage>();
        for (var i = 0; i < 6; i++)
        {
            images.Add(await seeder.PushImageAsync("lib/app", $"{i}", [ImageSeeder.GzipBytes(20_000, 930 + i), ImageSeeder.GzipBytes(20_000, 940 + i)]));
        }

        // Three blobs an image, each a quarter of a second late: the run takes over 4 s, tokens live 2 s.
        var lifetime = TimeSpan.FromSeconds(2);
        issuer.Lifetime = lifetime;
        var seeded = issuer.Issued.Count;
        proxy.Around = async context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/blobs/", StringComparison.Ordinal))
            {
                await Task.Delay(250);
            }

            return null;
        };
        var auth = workspace.Write("auth.yaml", $"""
            "{proxy.Host}": {"{"}username: "{SyncUser}", password: "{SyncPassword}", insecure: true{"}"}
            "{destination.Host}": {"{"}insecure: true{"}"}
            """);
        var rules = workspace.Write("images.yaml", $"\"{proxy.Host}/lib/app\": \"{destination.Host}/m/app\"\n");

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", rules, "--records", workspace.Records, "--proc", "1");

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var image in images)
        {
            Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", image.Tag));
        }

        var tokens = issuer.Issued.Skip(seeded).ToList();
        Assert.All(tokens, t => Assert.Equal("repository:lib/app:pull", t.Scope));
        Assert.True(tokens.Count >= 2 && tokens[^1].IssuedAt - tokens[0].IssuedAt >= lifetime * 0.9, $"a token per {lifetime.TotalSeconds} s of the run, the run outliving the first: {string.Join("; ", tokens)}\n{run}");
    }

    [Fact]
    public async Task ADestinationRepositoryWithoutPush_FailsThatImageAsAccessDenied_AndTheOthersSync()
    {
        await using var issuer = await StartIssuerAsync();
        issuer.Policy = (user, repository) => user == SyncUser && repository == "m/denied" ? ["pull"] : Everything;
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartWithTokenAuthAsync(issuer, "destination-registry");
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host, Seeder, SeederPassword);
        using var workspace = new Workspace();
        var ok = await seeder.PushImageAsync("lib/ok", "1", [ImageSeeder.GzipBytes(10_000, 950)]);
        var other = await seeder.PushImageAsync("lib/other", "1", [ImageSeeder.GzipBytes(10_000, 951)]);
        await seeder.PushImageAsync("lib/denied", "1", [ImageSeeder.GzipBytes(10_000, 952)]);
        var auth = workspace.Write("auth.yaml", $"""
            "{source.Host}": {"{"}insecure: true{"}"}
            "{destination.Host}": {"{"}username: "{SyncUser}", password: "{SyncPassword}", insecure: true{"}"}
            """);
        var images = workspace.Write("images.yaml", $"""
            "{source.Host}/lib/ok:1": "{destination.Host}/m/ok"
            "{source.Host}/lib/denied:1": "{destination.Host}/m/denied"
            "{source.Host}/lib/other:1": "{destination.Host}/m/other"
            """);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Synced 2, already in sync 0, failed 1", run.Out, StringComparison.Ordinal);
        var failure = Assert.Single(run.Out.Split('\n'), line => line.Contains(" -> ", StringComparison.Ordinal) && line.Contains("access denied", StringComparison.Ordinal));
        Assert.Contains($"{destination.Host}/m/denied:1", failure, StringComparison.Ordinal);
        Assert.Equal(ok.Digest, await reader.ManifestDigestAsync("m/ok", "1"));
        Assert.Equal(other.Digest, await reader.ManifestDigestAsync("m/other", "1"));
        Assert.Null(await reader.ManifestDigestAsync("m/denied", "1"));
        Assert.Contains(issuer.Issued, t => t.User == SyncUser && t.Scopes.Contains("repository:m/denied:pull,push") && t.Granted.SequenceEqual(["repository:m/denied:pull"]));
    }

    private static async Task<TokenIssuer> StartIssuerAsync()
    {
        var issuer = await TokenIssuer.StartAsync();
        issuer.Users[Seeder] = SeederPassword;
        issuer.Users[SyncUser] = SyncPassword;
        return issuer;
    }

    private static async Task<string> FetchTokenAsync(HttpClient http, TokenIssuer issuer, string service, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{issuer.Realm}?service={service}&scope={Uri.EscapeDataString(scope)}");
        request.Headers.Authorization = Basic(SyncUser, SyncPassword);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(body.RootElement.GetProperty("token").GetString(), body.RootElement.GetProperty("access_token").GetString());
        Assert.Equal((int)Math.Ceiling(issuer.Lifetime.TotalSeconds), body.RootElement.GetProperty("expires_in").GetInt32());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, Uri uri, string token)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd(ImageSeeder.OciManifest);
        return http.SendAsync(request);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
