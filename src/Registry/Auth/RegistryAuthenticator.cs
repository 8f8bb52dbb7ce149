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
/// Credentials never travel in the clear to another host.
/// </summary>
internal sealed class RegistryAuthenticator(string apiHost, RegistryCredentials? credentials, HttpClient http, TimeProvider time, bool insecure = false, Uri? trustedRealm = null)
{
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
            if (credentials is not null)
            {
                request.Headers.Authorization = BasicHeader(credentials);
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

        return credentials is not null && !string.Equals(sent, "Basic", StringComparison.OrdinalIgnoreCase);
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

        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credentials is not null)
        {
            request.Headers.Authorization = BasicHeader(credentials);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var retryable = RegistryErrorCode.IsRetryableStatus(response.StatusCode);
            var what = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? credentials is null ? "anonymous access was refused" : $"the login of '{credentials.Username}' was refused"
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
