using System.Text.Json.Nodes;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Reads <c>username</c> with <c>password</c> or <c>passwordFile</c> (a mounted secret), or, in the
/// native file, with <c>passwordCommand</c> (a program that prints the password, run again after a refusal).
/// </summary>
internal static class Credentials
{
    public static RegistryCredentials? Read(ConfigReader reader, JsonObject entry, string key)
    {
        var username = reader.String(entry, "username", key);
        var password = reader.String(entry, "password", key);
        var passwordFile = reader.String(entry, "passwordFile", key);
        if (password is not null && passwordFile is not null)
        {
            reader.Error(key, "give password or passwordFile, not both");
            return null;
        }

        if (entry["passwordCommand"] is not null)
        {
            // ReadCommand checks this entry's login.
            return null;
        }

        if (passwordFile is not null)
        {
            var path = Path.IsPathRooted(passwordFile) ? passwordFile : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(reader.File))!, passwordFile);
            try
            {
                password = File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                reader.Error(ConfigReader.Join(key, "passwordFile"), $"cannot read '{path}': {ex.Message}");
                return null;
            }
        }

        if (username is null && password is null)
        {
            return null;
        }

        if (username is null || password is null)
        {
            reader.Error(key, "give both username and password (or passwordFile)");
            return null;
        }

        return new RegistryCredentials(username, password);
    }

    /// <summary>
    /// The native file's <c>passwordCommand</c> for <paramref name="registry"/>, with its
    /// <c>username</c>; null when the entry has none.
    /// </summary>
    public static ICredentialSource? ReadCommand(ConfigReader reader, JsonObject entry, string key, string registry)
    {
        var command = reader.String(entry, "passwordCommand", key);
        if (command is null)
        {
            return null;
        }

        var errors = reader.ErrorCount;
        if (string.IsNullOrWhiteSpace(command))
        {
            reader.Error(ConfigReader.Join(key, "passwordCommand"), "is empty: give the command that prints the password");
        }

        if (entry["password"] is not null || entry["passwordFile"] is not null)
        {
            reader.Error(key, "give one of password, passwordFile and passwordCommand");
        }

        var username = reader.String(entry, "username", key);
        if (username is null)
        {
            reader.Error(ConfigReader.Join(key, "username"), "is required with passwordCommand (the password it prints goes with a username)");
        }

        return reader.ErrorCount > errors ? null : PasswordCommand.Create(registry, username!, command);
    }
}
