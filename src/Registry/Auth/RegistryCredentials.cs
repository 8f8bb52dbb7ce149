namespace SyncGateway.Registry.Auth;

/// <summary>A username and password (or robot account and secret) for one registry.</summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    // Never print the secret, whatever logs or exceptions a record ends up in.
    public override string ToString() => $"{Username}:***";
}
