using System.Net;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Registry.Transport;

/// <summary>
/// Puts a registry's service credentials on the requests that ask for them (a scope in their
/// options) and answers its challenges: a 401 teaches the challenge and, where the request can be
/// sent again, it is, once, with fresh credentials. A body that cannot go again is not resent; a
/// request with such a body first learns the challenge with a probe, so it goes with credentials
/// the first time. Requests without a scope (a client's own credentials, passed through by the
/// gateway, or storage behind a redirect) pass untouched.
/// </summary>
internal sealed class AuthenticationHandler(RegistryAuthenticator authenticator, Uri probe) : DelegatingHandler
{
    private volatile bool _probed;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.IsConnect())
        {
            // Sent ahead of the work: a challenge it meets is learnt, so the first requests go with credentials.
            var answer = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (answer.StatusCode == HttpStatusCode.Unauthorized)
            {
                authenticator.OnUnauthorized(answer, request, string.Empty);
            }

            _probed = true;
            return answer;
        }

        if (!request.Options.TryGetValue(RegistryRequest.ScopeKey, out var scope))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var replayable = request.IsReplayable();
        if (!replayable && !authenticator.KnowsChallenge && !_probed)
        {
            await LearnChallengeAsync(scope, cancellationToken).ConfigureAwait(false);
        }

        await authenticator.ApplyAsync(request, scope, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !authenticator.OnUnauthorized(response, request, scope))
        {
            return response;
        }

        if (!replayable)
        {
            request.Options.Set(RegistryRequest.ExpiredKey, true);
            return response;
        }

        response.Dispose();
        request.Headers.Authorization = null;
        await authenticator.ApplyAsync(request, scope, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    // Once per registry: one that challenges is answered from then on; one that does not needs nothing.
    private async Task LearnChallengeAsync(string scope, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, probe);
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            authenticator.OnUnauthorized(response, request, scope);
        }

        _probed = true;
    }
}
