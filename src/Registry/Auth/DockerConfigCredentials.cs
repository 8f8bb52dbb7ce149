using System.Text;
using System.Text.Json;

namespace SyncGateway.Registry.Auth;

/// <summary>
/// Reads a docker <c>config.json</c> (what <c>docker login</c> writes): the <c>auths</c> map
/// (<c>auth</c> and <c>identitytoken</c>), <c>credsStore</c> and <c>credHelpers</c>, so an operator
/// who has logged in does not repeat the password in a configuration file.
/// </summary>
public static class DockerConfigCredentials
{
    /// <summary>The default location: <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string DefaultPath()
    {
        var folder = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(folder))
        {
            folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }

        return Path.Combine(folder, "config.json");
    }

    /// <summary>Loads the logins the file gives, by registry host. A missing file logs in nowhere.</summary>
    public static DockerLogins Load(string path)
    {
        if (!File.Exists(path))
        {
            return DockerLogins.None;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var result = new Dictionary<string, RegistryCredentials>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in auths.EnumerateObject().Where(e => e.Value.ValueKind == JsonValueKind.Object))
            {
                var username = string.Empty;
                if (entry.Value.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && TryDecode(auth.GetString()!, out var credentials))
                {
                    result[NormalizeHost(entry.Name)] = credentials;
                    username = credentials.Username;
                }

                // An identity token (az acr login, docker login to an OAuth2 registry) wins over a password.
                if (entry.Value.TryGetProperty("identitytoken", out var token) && token.ValueKind == JsonValueKind.String && token.GetString() is { Length: > 0 } identity)
                {
                    result[NormalizeHost(entry.Name)] = new RegistryCredentials(username, identity) { IsIdentityToken = true };
                }
            }
        }

        var helpers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("credHelpers", out var helperMap) && helperMap.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in helperMap.EnumerateObject().Where(e => e.Value.ValueKind == JsonValueKind.String && e.Value.GetString() is { Length: > 0 }))
            {
                helpers[NormalizeHost(entry.Name)] = entry.Value.GetString()!;
            }
        }

        var store = root.TryGetProperty("credsStore", out var storeName) && storeName.ValueKind == JsonValueKind.String ? storeName.GetString() : null;
        return new DockerLogins(result, helpers, string.IsNullOrEmpty(store) ? null : store);
    }

    private static bool TryDecode(string encoded, out RegistryCredentials credentials)
    {
        credentials = null!;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            credentials = new RegistryCredentials(text[..colon], text[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    // docker login stores Docker Hub as "https://index.docker.io/v1/"; other hosts as written.
    private static string NormalizeHost(string key)
    {
        var host = key;
        if (host.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || host.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            host = new Uri(host).Authority;
        }

        host = host.TrimEnd('/');
        return host is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : host;
    }
}
