using System.Net;
using System.Net.Http.Headers;
using SyncGateway.Registry.Errors;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Tests.Retries;

public sealed class RetryPolicyTests
{
    private static async Task<RegistryException> AnswerAsync(HttpStatusCode status, string body, string? challenge = null)
    {
        using var response = new HttpResponseMessage(status) { Content = new StringContent(body) };
        if (challenge is not null)
        {
            response.Headers.WwwAuthenticate.Add(AuthenticationHeaderValue.Parse(challenge));
        }

        return await RegistryException.FromResponseAsync(response, "PUT manifest reg.example.com/ns/app:1", TimeProvider.System, default);
    }

    [Fact]
    public async Task APushRefusedForInsufficientScope_IsAccessDenied_NotACredentialsProblem_AndNotRetried()
    {
        var refused = await AnswerAsync(
            HttpStatusCode.Unauthorized,
            """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""",
            "Bearer realm=\"https://auth.example.com/token\",service=\"reg\",scope=\"repository:ns/app:pull,push\",error=\"insufficient_scope\"");

        Assert.True(refused.Denied);
        Assert.False(RetryPolicy.IsTransient(refused, default));
        Assert.Contains("access denied", RetryPolicy.Describe(refused), StringComparison.Ordinal);
        Assert.DoesNotContain("check the credentials", RetryPolicy.Describe(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A403_IsAccessDenied_AndAPlain401_AsksToCheckTheCredentials()
    {
        var forbidden = await AnswerAsync(HttpStatusCode.Forbidden, """{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}""");
        var unauthorized = await AnswerAsync(HttpStatusCode.Unauthorized, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""", "Basic realm=\"reg\"");

        Assert.Contains("access denied", RetryPolicy.Describe(forbidden), StringComparison.Ordinal);
        Assert.False(unauthorized.Denied);
        Assert.Contains("check the credentials", RetryPolicy.Describe(unauthorized), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryReasons_AreTheFixedWordsOfTheMetrics()
    {
        var limited = await AnswerAsync(HttpStatusCode.TooManyRequests, "{}");

        Assert.Equal(RetryReason.RateLimited, RetryPolicy.Reason(limited));
        Assert.Equal("rate_limited", RetryPolicy.Reason(limited).Label());
        Assert.Equal(RetryReason.Network, RetryPolicy.Reason(new HttpRequestException("reset")));
        Assert.Equal(
            ["rate_limited", "token_expired", "server_error", "network", "digest_mismatch", "timeout", "other"],
            Enum.GetValues<RetryReason>().Select(r => r.Label()));
    }
}
