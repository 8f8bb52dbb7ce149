using System.Net.Http.Headers;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Registry.Tests.Auth;

public sealed class AuthChallengeTests
{
    [Fact]
    public void Parse_BearerChallenge_ReadsQuotedParameters()
    {
        var challenge = AuthChallenge.Parse("Bearer", "realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull,push\"");

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:library/nginx:pull,push", challenge.Parameters["scope"]);
    }

    [Fact]
    public void Parse_UnquotedAndEscapedValues()
    {
        var challenge = AuthChallenge.Parse("Basic", "realm=plain, error=\"say \\\"hi\\\"\"");

        Assert.Equal("plain", challenge.Realm);
        Assert.Equal("say \"hi\"", challenge.Parameters["error"]);
    }

    [Fact]
    public void From_PrefersBearerOverBasic()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue("Basic", "realm=\"r\""));
        response.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue("Bearer", "realm=\"https://t/token\""));

        var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);

        Assert.True(challenge!.IsBearer);
    }

    [Fact]
    public void Credentials_NeverPrintThePassword()
    {
        Assert.DoesNotContain("hunter2", new RegistryCredentials("admin", "hunter2").ToString(), StringComparison.Ordinal);
    }
}
