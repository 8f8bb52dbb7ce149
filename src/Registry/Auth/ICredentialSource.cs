namespace SyncGateway.Registry.Auth;

/// <summary>
/// Where one registry's login comes from, asked whenever credentials are about to be sent: fixed
/// ones from the configuration, or ones a program gives (a <c>passwordCommand</c>, a docker
/// credential helper), which can change while a daemon runs for months.
/// </summary>
public interface ICredentialSource
{
    /// <summary>The credentials to send now; null to go anonymous.</summary>
    ValueTask<RegistryCredentials?> GetAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The registry refused <paramref name="credentials"/>. Returns whether asking again can give
    /// other ones (a command run again); fixed credentials cannot.
    /// </summary>
    bool Refused(RegistryCredentials credentials);
}
