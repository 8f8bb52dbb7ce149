namespace SyncGateway.Registry.Auth;

/// <summary>
/// A registry's <c>passwordCommand</c>: a command line, run by <c>/bin/sh -c</c>, whose standard
/// output (without its last line break) is the password of the configured username. It runs when
/// the password is first needed and again whenever the registry refuses it.
/// </summary>
public static class PasswordCommand
{
    /// <summary>The credential source for <paramref name="registry"/>.</summary>
    /// <param name="registry">The registry host, for messages.</param>
    /// <param name="username">The username the password goes with.</param>
    /// <param name="command">The command line.</param>
    public static ExternalCredentials Create(string registry, string username, string command)
    {
        // Messages name the program, not the whole line: its arguments may carry a secret of their own.
        var program = command.Trim().Split(' ', 2)[0];
        var what = $"the passwordCommand '{program}'";
        return new ExternalCredentials(async ct =>
        {
            var password = await CredentialProcess.RunAsync(what, registry, "/bin/sh", ["-c", command], null, outputExplainsFailure: false, ct).ConfigureAwait(false);
            return new RegistryCredentials(username, password);
        });
    }
}
