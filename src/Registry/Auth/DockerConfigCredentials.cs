using System.Text;
using System.Text.Json;

namespace SyncGateway.Registry.Auth;

/// <summary>
/// Reads the <c>auths</c> map of a docker <c>config.json</c> (what <c>docker login</c> writes), so
/// an operator who has logged in does not repeat the password in a configuration file.
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

    /// <summary>Loads every username and password the file holds, by registry host. A missing file is empty.</summary>
    public static IReadOnlyDictionary<string, RegistryCredentials> Load(string path)
    {
        var result = new Dictionary<string, RegistryCredentials>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return result;
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        foreach (var entry in auths.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Object
                && entry.Value.TryGetProperty("auth", out var auth)
                && auth.ValueKind == JsonValueKind.String
                && TryDecode(auth.GetString()!, out var credentials))
            {
                result[NormalizeHost(entry.Name)] = credentials;
            }
        }

        return result;
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
