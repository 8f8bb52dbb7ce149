using System.Collections.Concurrent;

namespace SyncGateway.Registry.Auth;

/// <summary>
/// What a docker <c>config.json</c> says about logging in to each registry, as docker reads it: a
/// helper of <c>credHelpers</c> for that registry, else the <c>credsStore</c> helper, else the
/// registry's <c>auths</c> entry (<c>auth</c>, or an <c>identitytoken</c>). Used for registries the
/// configuration gives no credentials; one source per registry, so a helper's answer is kept.
/// </summary>
public sealed class DockerLogins(IReadOnlyDictionary<string, RegistryCredentials> auths, IReadOnlyDictionary<string, string> helpers, string? store)
{
    private readonly ConcurrentDictionary<string, ICredentialSource?> _sources = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>No docker configuration: nobody is logged in.</summary>
    public static DockerLogins None { get; } = new(new Dictionary<string, RegistryCredentials>(), new Dictionary<string, string>(), null);

    /// <summary>The login for <paramref name="registry"/> (a host as images name it), or null.</summary>
    public ICredentialSource? For(string registry) => _sources.GetOrAdd(registry, host =>
        helpers.TryGetValue(host, out var helper) ? CredentialHelper.Create(helper, host)
        : !string.IsNullOrEmpty(store) ? CredentialHelper.Create(store, host)
        : FixedCredentials.From(auths.GetValueOrDefault(host)));
}
