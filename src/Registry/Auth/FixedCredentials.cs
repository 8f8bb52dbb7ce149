namespace SyncGateway.Registry.Auth;

/// <summary>A username and password written in the configuration (or read from a file or a docker login): they never change.</summary>
public sealed class FixedCredentials(RegistryCredentials credentials) : ICredentialSource
{
    public ValueTask<RegistryCredentials?> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RegistryCredentials?>(credentials);

    public bool Refused(RegistryCredentials credentials) => false;

    /// <summary>The source for <paramref name="credentials"/>, or null when there are none.</summary>
    public static ICredentialSource? From(RegistryCredentials? credentials) => credentials is null ? null : new FixedCredentials(credentials);
}
