namespace SyncGateway.Registry.Auth;

/// <summary>
/// A username and password (or robot account and secret) for one registry. With
/// <see cref="IsIdentityToken"/>, the password is an identity token (an OAuth2 refresh token, what
/// docker keeps as <c>identitytoken</c>), exchanged at the token service for access tokens.
/// </summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    public bool IsIdentityToken { get; init; }

    // Never print the secret, whatever logs or exceptions a record ends up in.
    public override string ToString() => $"{Username}:***";
}
