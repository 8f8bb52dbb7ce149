using System.Net;
using System.Net.Http.Headers;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Registry.Tests.Auth;

public sealed class RegistryAuthenticatorTests
{
    private static HttpResponseMessage Challenge(string scheme, string parameters)
    {
        var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue(scheme, parameters));
        return response;
    }

    [Fact]
    public void Basic_ARequestSentBeforeTheChallengeWasKnown_IsRetried_EvenWhenAnotherRequestLearntItFirst()
    {
        using var http = new HttpClient();
        var authenticator = new RegistryAuthenticator("r.example.com", new FixedCredentials(new RegistryCredentials("u", "p")), http, TimeProvider.System);
        using var first = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/");
        using var second = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/");
        using var challenge1 = Challenge("Basic", "realm=\"r\"");
        using var challenge2 = Challenge("Basic", "realm=\"r\"");

        Assert.True(authenticator.OnUnauthorized(challenge1, first, "repository:a:pull"));
        Assert.True(authenticator.OnUnauthorized(challenge2, second, "repository:a:pull"));
    }

    [Fact]
    public async Task Basic_ARequestThatCarriedTheCredentials_IsNotRetried()
    {
        using var http = new HttpClient();
        var authenticator = new RegistryAuthenticator("r.example.com", new FixedCredentials(new RegistryCredentials("u", "wrong")), http, TimeProvider.System);
        using var learn = Challenge("Basic", "realm=\"r\"");
        using var probe = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/");
        authenticator.OnUnauthorized(learn, probe, "s");
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/");
        await authenticator.ApplyAsync(request, "s", default);
        using var refused = Challenge("Basic", "realm=\"r\"");

        Assert.Equal("Basic", request.Headers.Authorization?.Scheme);
        Assert.False(authenticator.OnUnauthorized(refused, request, "s"));
    }

    [Fact]
    public void WithoutCredentials_ABasicChallengeCannotBeAnswered()
    {
        using var http = new HttpClient();
        var authenticator = new RegistryAuthenticator("r.example.com", null, http, TimeProvider.System);
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://r.example.com/v2/");
        using var challenge = Challenge("Basic", "realm=\"r\"");

        Assert.False(authenticator.OnUnauthorized(challenge, request, "s"));
    }
}
