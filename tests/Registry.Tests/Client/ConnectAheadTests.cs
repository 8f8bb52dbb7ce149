using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Transport;
using SyncGateway.Testing;

namespace SyncGateway.Registry.Tests.Client;

/// <summary>
/// <see cref="RegistryClient.ConnectAsync"/> against real registries behind a proxy that lists what
/// reaches them: one <c>GET /v2/</c> settles what the first requests of a run would each wait for.
/// </summary>
public sealed class ConnectAheadTests
{
    [Fact]
    public async Task ConnectingToAnInsecureRegistry_IsItsSchemeProbe_AndOneRequest_OnceForTheClient()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(registry.BaseUri);
        using var pool = new RegistryClientPool([new RegistryEndpoint { Host = proxy.Host, Insecure = true }], TimeProvider.System);
        var client = pool.Get(proxy.Host, "lib/app");

        await client.ConnectAsync(CancellationToken.None);
        await client.ConnectAsync(CancellationToken.None);
        var head = await client.Manifests.HeadAsync("lib/app", "1", CancellationToken.None);

        Assert.Null(head);
        Assert.Equal(["GET /v2/", "HEAD /v2/lib/app/manifests/1"], proxy.Requests);
    }

    [Fact]
    public async Task AnInsecureRegistryThatSpeaksTls_IsSpokenToOverHttps_ThoughItsPortAnswersPlainHttpToo()
    {
        await using var registry = await RegistryProcess.StartWithTlsAsync();
        using var plain = new HttpClient();
        using var refused = await plain.GetAsync($"http://{registry.Host}/v2/");
        using var pool = new RegistryClientPool([new RegistryEndpoint { Host = registry.Host, Insecure = true }], TimeProvider.System);
        var client = pool.Get(registry.Host, "lib/app");

        await client.ConnectAsync(CancellationToken.None);
        var head = await client.Manifests.HeadAsync("lib/app", "1", CancellationToken.None);

        // The registry answers plain HTTP with a 400 of its own; the client took the HTTPS answer and its 404.
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Null(head);
    }

    [Fact]
    public async Task ConnectingToATokenRegistry_LearnsItsChallenge_SoTheFirstRequestGoesWithAToken()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        issuer.Users["sync"] = "secret";
        await using var registry = await RegistryProcess.StartWithTokenAuthAsync(issuer, "connect-registry");
        await using var proxy = await FaultProxy.StartAsync(registry.BaseUri);
        RegistryEndpoint Endpoint() => new() { Host = proxy.Host, Insecure = true, Credentials = new RegistryCredentials("sync", "secret") };

        using (var pool = new RegistryClientPool([Endpoint()], TimeProvider.System))
        {
            var client = pool.Get(proxy.Host, "lib/app");
            await client.ConnectAsync(CancellationToken.None);
            Assert.Null(await client.Manifests.HeadAsync("lib/app", "1", CancellationToken.None));
        }

        Assert.Equal(["GET /v2/", "HEAD /v2/lib/app/manifests/1"], proxy.Requests);
        Assert.Equal(["repository:lib/app:pull"], issuer.Issued.Single().Granted);

        // Without it, the first request meets the challenge and goes again.
        proxy.Requests.Clear();
        using (var pool = new RegistryClientPool([Endpoint()], TimeProvider.System))
        {
            Assert.Null(await pool.Get(proxy.Host, "lib/app").Manifests.HeadAsync("lib/app", "1", CancellationToken.None));
        }

        Assert.Equal(["GET /v2/", "HEAD /v2/lib/app/manifests/1", "HEAD /v2/lib/app/manifests/1"], proxy.Requests);
    }
}
