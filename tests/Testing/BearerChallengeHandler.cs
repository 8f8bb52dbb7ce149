using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SyncGateway.Testing;

/// <summary>
/// The seeder's side of bearer auth, written apart from the product's: a 401 with a Bearer
/// challenge is answered by logging in at the challenge's realm for <c>pull,push</c> on the
/// request's repository and sending the request again with that token, which is then kept for the
/// repository's later requests (so a streamed body, which cannot be sent twice, goes with a token
/// the first time). A registry with Basic auth or none never challenges for a bearer token, and
/// requests to it pass as they are.
/// </summary>
internal sealed partial class BearerChallengeHandler(AuthenticationHeaderValue? login) : DelegatingHandler(new HttpClientHandler())
{
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var repository = RepositoryPath().Match(request.RequestUri!.AbsolutePath) is { Success: true } match ? match.Groups["name"].Value : null;
        if (repository is not null && _tokens.TryGetValue(repository, out var known))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", known);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (response.StatusCode != HttpStatusCode.Unauthorized || challenge is null || repository is null || request.Content is StreamContent)
        {
            return response;
        }

        response.Dispose();
        var token = await FetchTokenAsync(challenge.Parameter ?? string.Empty, $"repository:{repository}:pull,push", cancellationToken).ConfigureAwait(false);
        _tokens[repository] = token;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> FetchTokenAsync(string challenge, string scope, CancellationToken cancellationToken)
    {
        var realm = Parameter(challenge, "realm") ?? throw new InvalidOperationException($"a Bearer challenge without a realm: {challenge}");
        var service = Parameter(challenge, "service");
        var query = (service is null ? string.Empty : $"service={Uri.EscapeDataString(service)}&") + $"scope={Uri.EscapeDataString(scope)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{realm}?{query}");
        request.Headers.Authorization = login;
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"seeding: the token service at {realm} answered {(int)response.StatusCode} for {scope}");
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
        return document.RootElement.GetProperty("token").GetString()!;
    }

    private static string? Parameter(string challenge, string name) =>
        ChallengeParameter().Matches(challenge).FirstOrDefault(m => m.Groups["key"].Value.Equals(name, StringComparison.OrdinalIgnoreCase))?.Groups["value"].Value;

    [GeneratedRegex("^/v2/(?<name>.+?)/(blobs|manifests|tags)/")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex("(?<key>[A-Za-z_]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex ChallengeParameter();
}
