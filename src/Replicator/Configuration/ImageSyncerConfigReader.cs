using System.Text.Json.Nodes;
using SyncGateway.Registry.Transport;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// image-syncer's files, unchanged: an <c>auth</c> map of registry (or registry/namespace) to
/// credentials, and an <c>images</c> map of source to destination(s).
/// </summary>
internal static class ImageSyncerConfigReader
{
    public static IReadOnlyList<RegistryEndpoint> ReadAuth(ConfigReader reader, JsonObject? auth)
    {
        var endpoints = new List<RegistryEndpoint>();
        if (auth is null)
        {
            return endpoints;
        }

        foreach (var (prefix, node) in auth)
        {
            var key = $"auth[{prefix}]";
            var entry = reader.Object(node, key);
            if (entry is null)
            {
                continue;
            }

            reader.AllowOnly(entry, key, "username", "password", "passwordFile", "insecure");
            var trimmed = prefix.Trim().TrimEnd('/');
            var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
            var host = slash < 0 ? trimmed : trimmed[..slash];
            var nameSpace = slash < 0 ? null : trimmed[(slash + 1)..];
            if (reader.RegistryHost(host, key) is not { } registry)
            {
                continue;
            }

            var credentials = Credentials.Read(reader, entry, key);
            endpoints.Add(new RegistryEndpoint
            {
                Host = registry,
                Prefix = nameSpace is null ? registry : $"{registry}/{nameSpace}",
                Insecure = reader.Bool(entry, "insecure", key) ?? false,
                Credentials = credentials,
            });
        }

        return endpoints;
    }

    public static IReadOnlyList<SyncRule> ReadImages(ConfigReader reader, JsonObject? images, SyncDefaults defaults)
    {
        var rules = new List<SyncRule>();
        if (images is null)
        {
            reader.Error("images", "is required: a map of source image to destination(s)");
            return rules;
        }

        foreach (var (source, node) in images)
        {
            var key = $"images[{source}]";
            IReadOnlyList<string> destinations = node switch
            {
                null => [string.Empty],
                JsonArray array => array.Select((item, i) => item is null ? string.Empty : reader.Scalar(item, $"{key}[{i}]") ?? string.Empty).ToArray(),
                _ => [reader.Scalar(node, key) ?? string.Empty],
            };
            if (node is JsonArray { Count: 0 })
            {
                reader.Error(key, "the destination list is empty");
                continue;
            }

            if (RuleBuilder.Build(reader, key, source, null, null, destinations, wholeTagRegex: false, defaults) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }
}
