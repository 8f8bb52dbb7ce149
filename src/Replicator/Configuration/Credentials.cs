using System.Text.Json.Nodes;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Replicator.Configuration;

/// <summary>Reads <c>username</c> with <c>password</c> or <c>passwordFile</c> (a mounted secret).</summary>
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
}
