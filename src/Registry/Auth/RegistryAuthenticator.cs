using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Auth;

/// <summary>
/// Answers one registry host's challenges: Basic with the configured credentials, or Bearer tokens
/// fetched per scope from the realm the registry names and cached until shortly before they expire.
/// A realm is followed over https; over plain HTTP only on the registry's own host (any port:
/// GitLab's registry on :5050 with its realm on :80, docker_auth on :5001) and only when the
/// registry is marked <c>insecure</c> or the realm is the one the operator listed for it.
/// Credentials never travel in the clear to another host. Credentials that a program gives
/// (<see cref="ICredentialSource"/>) are asked for again when the registry or its token service
/// refuses them, once per refusal. An identity token is exchanged with an OAuth2 refresh-token
/// POST, as docker does.
/// </summary>
internal sealed class RegistryAuthenticator(string apiHost, ICredentialSource? credentials, HttpClient http, TimeProvider time, bool insecure = false, Uri? trustedRealm = null)
{
    private static readonly HttpRequestOptionsKey<RegistryCredentials> SentKey = new("syncgateway.sent-credentials");

    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Lazy<Task<CachedToken>>> _tokens = new(StringComparer.Ordinal);
    private volatile AuthChallenge? _challenge;

    /// <summary>Whether a challenge of this host has been seen, so that <see cref="ApplyAsync"/> knows what to send.</summary>
    public bool KnowsChallenge => _challenge is not null;

    /// <summary>Sets the Authorization header the host's last challenge calls for, if any.</summary>
    public async ValueTask ApplyAsync(HttpRequestMessage request, string scope, CancellationToken cancellationToken)
    {
        var challenge = _challenge;
        if (challenge is null)
        {
            return;
        }

        if (challenge.IsBasic)
        {
            if (credentials is not null && await credentials.GetAsync(cancellationToken).ConfigureAwait(false) is { IsIdentityToken: false } login)
            {
                request.Headers.Authorization = BasicHeader(login);
                request.Options.Set(SentKey, login);
            }

            return;
        }

        var token = await GetTokenAsync(challenge, scope, cancellationToken).ConfigureAwait(false);
        if (token.Value is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        }
    }

    /// <summary>
    /// Learns from a 401 answer to <paramref name="request"/>. Returns whether asking again can help:
    /// the request went without the authorization the challenge asks for (another request may
    /// have learnt the challenge meanwhile), or carried a token that may have expired.
    /// </summary>
    public bool OnUnauthorized(HttpResponseMessage response, HttpRequestMessage request, string scope)
    {
        var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
        if (challenge is null)
        {
            return false;
        }

        _challenge = challenge;
        var sent = request.Headers.Authorization?.Scheme;
        if (challenge.IsBearer)
        {
            if (string.Equals(sent, "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                _tokens.TryRemove(TokenKey(challenge, scope), out _);
            }

            return true;
        }

        if (string.Equals(sent, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            // Refused: a program's credentials may have rotated since it last ran.
            return credentials is not null && request.Options.TryGetValue(SentKey, out var refused) && credentials.Refused(refused);
        }

        return credentials is not null;
    }

    private async Task<CachedToken> GetTokenAsync(AuthChallenge challenge, string scope, CancellationToken cancellationToken)
    {
        var key = TokenKey(challenge, scope);
        while (true)
        {
            var lazy = _tokens.GetOrAdd(key, _ => new Lazy<Task<CachedToken>>(() => FetchTokenAsync(challenge, scope)));
            CachedToken token;
            try
            {
                token = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _tokens.TryRemove(KeyValuePair.Create(key, lazy));
                throw;
            }

            if (token.ExpiresAt > time.GetUtcNow())
            {
                return token;
            }

            _tokens.TryRemove(KeyValuePair.Create(key, lazy));
        }
    }

    private async Task<CachedToken> FetchTokenAsync(AuthChallenge challenge, string scope)
    {
        var realm = challenge.Realm;
        if (realm is null || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
        {
            throw new RegistryException($"{apiHost} asked for a bearer token without a valid realm ('{realm}')");
        }

        if (!Trusted(realmUri))
        {
            throw new RegistryException($"{apiHost} named the token realm {realmUri.GetLeftPart(UriPartial.Path)}, which is neither https nor the registry's own address; not following it (on the registry's own host, mark the registry insecure or list the realm as its 'realm')");
        }

        var query = new StringBuilder();
        if (challenge.Service is { } service)
        {
            query.Append("service=").Append(Uri.EscapeDataString(service));
        }

        foreach (var part in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            query.Append(query.Length == 0 ? string.Empty : "&").Append("scope=").Append(Uri.EscapeDataString(part));
        }

        var builder = new UriBuilder(realmUri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length == 0 ? query.ToString() : existing + "&" + query;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var login = credentials is null ? null : await credentials.GetAsync(timeout.Token).ConfigureAwait(false);
        var response = await RequestTokenAsync(realmUri, builder.Uri, challenge, scope, login, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && login is not null && credentials!.Refused(login))
        {
            response.Dispose();
            login = await credentials.GetAsync(timeout.Token).ConfigureAwait(false);
            response = await RequestTokenAsync(realmUri, builder.Uri, challenge, scope, login, timeout.Token).ConfigureAwait(false);
        }

        using var answer = response;
        if (!response.IsSuccessStatusCode)
        {
            var retryable = RegistryErrorCode.IsRetryableStatus(response.StatusCode);
            var what = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? login is null ? "anonymous access was refused" : login.IsIdentityToken ? "the identity token was refused" : $"the login of '{login.Username}' was refused"
                : "the token service failed";
            throw new RegistryException($"{apiHost}: {what} ({(int)response.StatusCode} from {realmUri.GetLeftPart(UriPartial.Path)})", response.StatusCode, null, retryable);
        }

        var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var value = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
            : root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()
            : null;
        var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultTokenLifetime;
        var margin = lifetime > ExpiryMargin * 3 ? ExpiryMargin : TimeSpan.Zero;
        return new CachedToken(value, time.GetUtcNow() + lifetime - margin);
    }

    /// <summary>
    /// One request to the token service: a GET with a Basic login (or none), or, for an identity
    /// token, the OAuth2 refresh-token POST to the same realm.
    /// </summary>
    private async Task<HttpResponseMessage> RequestTokenAsync(Uri realm, Uri withQuery, AuthChallenge challenge, string scope, RegistryCredentials? login, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(login is { IsIdentityToken: true } ? HttpMethod.Post : HttpMethod.Get, login is { IsIdentityToken: true } ? realm : withQuery);
        if (login is { IsIdentityToken: true })
        {
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", login.Password),
                new("client_id", "syncgateway"),
            };
            if (challenge.Service is { } service)
            {
                form.Add(new("service", service));
            }

            if (scope.Length > 0)
            {
                form.Add(new("scope", scope));
            }

            request.Content = new FormUrlEncodedContent(form);
        }
        else if (login is not null)
        {
            request.Headers.Authorization = BasicHeader(login);
        }

        return await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private bool Trusted(Uri realm)
    {
        if (realm.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }

        if (realm.Scheme != Uri.UriSchemeHttp)
        {
            return false;
        }

        // Plain HTTP carries the credentials in the clear: only to the registry's own host, and
        // only when the registry itself is reached that way (insecure) or the realm is listed.
        var registryHost = new Uri($"http://{apiHost}/").Host;
        var sameHost = string.Equals(realm.Host, registryHost, StringComparison.OrdinalIgnoreCase);
        var listed = trustedRealm is not null && string.Equals(realm.GetLeftPart(UriPartial.Path), trustedRealm.GetLeftPart(UriPartial.Path), StringComparison.OrdinalIgnoreCase);
        return sameHost && (insecure || listed);
    }

    private static string TokenKey(AuthChallenge challenge, string scope) => $"{challenge.Realm}|{challenge.Service}|{scope}";

    private static AuthenticationHeaderValue BasicHeader(RegistryCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));

    private sealed record CachedToken(string? Value, DateTimeOffset ExpiresAt);
}
