using System.Globalization;
using System.Text.Json.Nodes;
using SyncGateway.Registry.Transport;

namespace SyncGateway.Replicator.Configuration;

/// <summary>The native <c>syncgateway.yaml</c>: registries, rules, replicator, gateway and webhooks.</summary>
internal static class NativeConfigReader
{
    public static readonly string[] TopLevelKeys = ["registries", "rules", "replicator", "gateway", "webhooks"];

    public static SyncConfiguration? Read(ConfigReader reader, JsonObject root, SyncDefaults defaults)
    {
        reader.AllowOnly(root, string.Empty, TopLevelKeys);
        var registries = ReadRegistries(reader, reader.Object(root["registries"], "registries"));
        var (rules, patterns) = NativeRuleReader.Read(reader, root["rules"], defaults);
        var replicator = ReadReplicator(reader, reader.Object(root["replicator"], "replicator"));
        var gateway = NativeGatewayReader.Read(reader, reader.Object(root["gateway"], "gateway"), reader.Object(root["webhooks"], "webhooks"));
        return new SyncConfiguration { Registries = registries, Rules = rules, PatternRules = patterns, Replicator = replicator, Gateway = gateway };
    }

    private static List<RegistryEndpoint> ReadRegistries(ConfigReader reader, JsonObject? registries)
    {
        var endpoints = new List<RegistryEndpoint>();
        foreach (var (host, node) in registries ?? [])
        {
            var key = $"registries[{host}]";
            var entry = reader.Object(node, key) ?? [];
            reader.AllowOnly(entry, key, "insecure", "username", "password", "passwordFile", "caFile", "chunkSize", "realm", "maxRequests", "requestsPerSecond", "bandwidth", "proxy", "passwordCommand");
            if (reader.RegistryHost(host, key) is not { } registry)
            {
                continue;
            }

            var caFile = reader.String(entry, "caFile", key);
            if (caFile is not null && !File.Exists(caFile))
            {
                reader.Error(ConfigReader.Join(key, "caFile"), $"'{caFile}' does not exist");
            }

            var chunkText = reader.String(entry, "chunkSize", key);
            long? chunkSize = null;
            if (chunkText is not null)
            {
                chunkSize = ParseSize(chunkText);
                if (chunkSize is null or < 1024 * 1024)
                {
                    reader.Error(ConfigReader.Join(key, "chunkSize"), $"'{chunkText}' is not a size of at least 1MiB (bytes, or with KiB, MiB or GiB)");
                }
            }

            endpoints.Add(new RegistryEndpoint
            {
                Host = registry,
                Insecure = reader.Bool(entry, "insecure", key) ?? false,
                CaFile = caFile,
                Credentials = Credentials.Read(reader, entry, key),
                CredentialSource = Credentials.ReadCommand(reader, entry, key, registry),
                ChunkSize = chunkSize ?? RegistryEndpoint.DefaultChunkSize,
                Realm = ReadUrl(reader, entry, "realm", key, registry),
                MaxRequests = reader.Int(entry, "maxRequests", key, 1, 10_000),
                RequestsPerSecond = ReadRate(reader, entry, key),
                Bandwidth = ReadBandwidth(reader, entry, key),
                Proxy = ReadUrl(reader, entry, "proxy", key, null),
            });
        }

        return endpoints;
    }

    private static ReplicatorSettings ReadReplicator(ConfigReader reader, JsonObject? section)
    {
        var settings = new ReplicatorSettings();
        if (section is null)
        {
            return settings;
        }

        const string key = "replicator";
        reader.AllowOnly(section, key, "concurrency", "retries", "pollInterval", "records");
        return settings with
        {
            Concurrency = reader.Int(section, "concurrency", key, 1, 256) ?? settings.Concurrency,
            Retries = reader.Int(section, "retries", key, 0, 100) ?? settings.Retries,
            PollInterval = reader.Duration(section, "pollInterval", key) ?? settings.PollInterval,
            Records = reader.String(section, "records", key) ?? settings.Records,
        };
    }

    /// <summary>An http(s) URL; with <paramref name="sameHostAs"/>, one on that registry's own host (a token realm).</summary>
    private static Uri? ReadUrl(ConfigReader reader, JsonObject entry, string name, string key, string? sameHostAs)
    {
        var text = reader.String(entry, name, key);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
        {
            reader.Error(ConfigReader.Join(key, name), $"'{text}' is not an http:// or https:// URL");
            return null;
        }

        if (sameHostAs is not null && !string.Equals(url.Host, new Uri($"http://{sameHostAs}/").Host, StringComparison.OrdinalIgnoreCase))
        {
            reader.Error(ConfigReader.Join(key, name), $"'{text}' is not on the registry's own host {sameHostAs}; a realm elsewhere must be https, and needs no listing");
            return null;
        }

        return url;
    }

    private static double? ReadRate(ConfigReader reader, JsonObject entry, string key)
    {
        var text = reader.String(entry, "requestsPerSecond", key);
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || rate < 0 || double.IsInfinity(rate))
        {
            reader.Error(ConfigReader.Join(key, "requestsPerSecond"), $"'{text}' is not a number of requests a second (0 or more; 0 = no cap)");
            return null;
        }

        return rate == 0 ? null : rate;
    }

    /// <summary><c>50MiB/s</c>, <c>800KiB/s</c>, <c>1GiB/s</c> or bytes a second; 0 = no cap.</summary>
    private static long? ReadBandwidth(ConfigReader reader, JsonObject entry, string key)
    {
        var text = reader.String(entry, "bandwidth", key);
        if (text is null)
        {
            return null;
        }

        var size = text.EndsWith("/s", StringComparison.Ordinal) ? ParseSize(text[..^2]) : ParseSize(text);
        if (size is null)
        {
            reader.Error(ConfigReader.Join(key, "bandwidth"), $"'{text}' is not a bandwidth (bytes a second, or with KiB/s, MiB/s or GiB/s, e.g. 50MiB/s)");
            return null;
        }

        return size == 0 ? null : size;
    }

    private static long? ParseSize(string text)
    {
        var (number, factor) = text switch
        {
            _ when text.EndsWith("GiB", StringComparison.Ordinal) => (text[..^3], 1L << 30),
            _ when text.EndsWith("MiB", StringComparison.Ordinal) => (text[..^3], 1L << 20),
            _ when text.EndsWith("KiB", StringComparison.Ordinal) => (text[..^3], 1L << 10),
            _ => (text, 1L),
        };
        return long.TryParse(number.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * factor : null;
    }
}
