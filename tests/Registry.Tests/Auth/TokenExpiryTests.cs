using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Registry.Tests.Auth;

/// <summary>Bearer tokens on the clock: reused while they live, fetched again shortly before they expire.</summary>
public sealed class TokenExpiryTests
{
    [Fact]
    public async Task AToken_IsReusedWhileItLives_AndFetchedAgainTenSecondsBeforeItExpires()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var issued = 0;
        using var tokens = new HttpClient(new TokenService(() => $$"""{"token": "t{{Interlocked.Increment(ref issued)}}", "expires_in": 60}"""));
        var authenticator = new RegistryAuthenticator("r.example.com", null, tokens, time);
        using var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        challenge.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue("Bearer", "realm=\"https://auth.example.com/token\",service=\"r\""));
        using var first = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/");
        authenticator.OnUnauthorized(challenge, first, "repository:a:pull");

        Assert.Equal("t1", await TokenAsync(authenticator));
        time.Advance(TimeSpan.FromSeconds(49));
        Assert.Equal("t1", await TokenAsync(authenticator));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("t2", await TokenAsync(authenticator));
        Assert.Equal(2, issued);
    }

    private static async Task<string?> TokenAsync(RegistryAuthenticator authenticator)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/a/tags/list");
        await authenticator.ApplyAsync(request, "repository:a:pull", default);
        return request.Headers.Authorization?.Parameter;
    }

    private sealed class TokenService(Func<string> body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body(), Encoding.UTF8, "application/json") });
    }
}
