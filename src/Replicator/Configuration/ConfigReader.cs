using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Typed reads from one configuration file's tree, collecting an error for every value that is
/// missing, of the wrong type or not allowed, instead of stopping at the first.
/// </summary>
internal sealed class ConfigReader(string file, List<ConfigurationError> errors, EnvironmentExpander environment)
{
    public string File => file;

    public int ErrorCount => errors.Count;

    public void Error(string key, string message) => errors.Add(new ConfigurationError(file, key, message));

    public JsonObject? Object(JsonNode? node, string key)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonObject obj)
        {
            return obj;
        }

        Error(key, "must be a map");
        return null;
    }

    public void AllowOnly(JsonObject obj, string key, params string[] allowed)
    {
        foreach (var (name, _) in obj)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                Error(Join(key, name), $"unknown key (allowed here: {string.Join(", ", allowed)})");
            }
        }
    }

    /// <summary>A string value with <c>${VAR}</c> expanded; null when absent or wrong.</summary>
    public string? String(JsonObject obj, string name, string key, bool required = false)
    {
        var path = Join(key, name);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                Error(path, "is required");
            }

            return null;
        }

        return Scalar(node, path);
    }

    /// <summary>A scalar as a string with <c>${VAR}</c> expanded.</summary>
    public string? Scalar(JsonNode node, string path)
    {
        if (node is not JsonValue value)
        {
            Error(path, "must be a single value, not a list or map");
            return null;
        }

        var text = value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
        if (text is null)
        {
            Error(path, "must be a value");
            return null;
        }

        return Expand(text, path);
    }

    public string? Expand(string text, string path)
    {
        var expanded = environment.Expand(text, out var missing);
        if (expanded is null)
        {
            Error(path, $"the environment variable '{missing}' is not set");
        }

        return expanded;
    }

    /// <summary>
    /// A registry host as a key names it (<c>host[:port]</c>, with a dot or a port, or localhost),
    /// normalized as images name it (Docker Hub's aliases become <c>docker.io</c>); null with an error otherwise.
    /// </summary>
    public string? RegistryHost(string host, string key)
    {
        if (Registry.Protocol.ImageReference.TrySplitName($"{host}/probe", out var registry, out _, out var error)
            && (registry != Registry.Protocol.ImageReference.DockerHub || host.Contains('.', StringComparison.Ordinal)))
        {
            return registry;
        }

        Error(key, error ?? $"'{host}' is not a registry host (host[:port], with a dot or a port, or localhost)");
        return null;
    }

    public bool? Bool(JsonObject obj, string name, string key)
    {
        var text = String(obj, name, key);
        return text switch
        {
            null => null,
            "true" or "True" or "TRUE" or "yes" => true,
            "false" or "False" or "FALSE" or "no" => false,
            _ => Invalid<bool?>(Join(key, name), $"'{text}' is not true or false"),
        };
    }

    public int? Int(JsonObject obj, string name, string key, int min, int max)
    {
        var text = String(obj, name, key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : Invalid<int?>(Join(key, name), $"'{text}' is not a whole number from {min} to {max}");
    }

    public TimeSpan? Duration(JsonObject obj, string name, string key)
    {
        var text = String(obj, name, key);
        if (text is null)
        {
            return null;
        }

        return Configuration.Duration.TryParse(text, out var value)
            ? value
            : Invalid<TimeSpan?>(Join(key, name), $"'{text}' is not a duration (30s, 5m, 1h, 0, or hh:mm:ss)");
    }

    /// <summary>A list of strings; a single string is a list of one.</summary>
    public IReadOnlyList<string>? StringList(JsonObject obj, string name, string key)
    {
        var path = Join(key, name);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonArray array)
        {
            var list = new List<string>(array.Count);
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is { } item && Scalar(item, $"{path}[{i}]") is { } text)
                {
                    list.Add(text);
                }
                else if (array[i] is null)
                {
                    Error($"{path}[{i}]", "must not be empty");
                }
            }

            return list;
        }

        return Scalar(node, path) is { } single ? [single] : null;
    }

    private T Invalid<T>(string path, string message)
    {
        Error(path, message);
        return default!;
    }

    public static string Join(string key, string name) =>
        key.Length == 0 ? name : $"{key}.{name}";
}
