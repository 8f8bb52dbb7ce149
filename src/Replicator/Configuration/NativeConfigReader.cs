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
        var gateway = ReadGateway(reader, reader.Object(root["gateway"], "gateway"), reader.Object(root["webhooks"], "webhooks"));
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

    private static GatewaySettings? ReadGateway(ConfigReader reader, JsonObject? gateway, JsonObject? webhooks)
    {
        if (gateway is null && webhooks is null)
        {
            return null;
        }

        var settings = new GatewaySettings();
        if (webhooks is not null)
        {
            reader.AllowOnly(webhooks, "webhooks", "secret");
            settings = settings with { WebhookSecret = reader.String(webhooks, "secret", "webhooks") };
        }

        if (gateway is null)
        {
            return settings;
        }

        const string key = "gateway";
        reader.AllowOnly(gateway, key, "listen", "source", "mirror", "auth", "htpasswd", "tls", "replicator", "sources");
        var tls = reader.Object(gateway["tls"], "gateway.tls");
        if (tls is not null)
        {
            reader.AllowOnly(tls, "gateway.tls", "certificate", "key");
        }

        var auth = ReadAuth(reader, gateway, key);
        var htpasswd = reader.String(gateway, "htpasswd", key);
        if (auth == GatewayAuthMode.Basic && htpasswd is null)
        {
            reader.Error("gateway.htpasswd", "is required when gateway.auth is basic");
        }

        var source = reader.String(gateway, "source", key);
        var mirror = reader.String(gateway, "mirror", key);
        IReadOnlyList<GatewaySource> sources = source is null ? [] : [new GatewaySource(source, mirror, auth ?? settings.Auth, htpasswd)];
        if (gateway["sources"] is { } list)
        {
            foreach (var single in new[] { "source", "mirror", "auth", "htpasswd" }.Where(gateway.ContainsKey))
            {
                reader.Error($"gateway.{single}", "cannot be given with gateway.sources: give each source its own entry");
            }

            sources = ReadSources(reader, list);
        }

        var listen = reader.String(gateway, "listen", key) ?? settings.Listen;
        if (!Uri.TryCreate(listen, UriKind.Absolute, out var listenUri) || listenUri.Scheme is not ("http" or "https"))
        {
            reader.Error("gateway.listen", $"'{listen}' is not an http:// or https:// address");
        }

        var replicator = reader.String(gateway, "replicator", key);
        // {shard} stands for a replicator's ordinal (with --shards): the address must be valid with one in its place.
        if (replicator is not null && (!Uri.TryCreate(replicator.Replace("{shard}", "0", StringComparison.Ordinal), UriKind.Absolute, out var replicatorUri) || replicatorUri.Scheme is not ("http" or "https")))
        {
            reader.Error("gateway.replicator", $"'{replicator}' is not an http:// or https:// address");
        }

        return settings with
        {
            Replicator = replicator,
            Listen = listen,
            Source = sources.FirstOrDefault()?.Source,
            Mirror = sources.FirstOrDefault()?.Mirror,
            Auth = sources.FirstOrDefault()?.Auth ?? settings.Auth,
            Htpasswd = sources.FirstOrDefault()?.Htpasswd,
            Sources = sources,
            TlsCertificate = tls is null ? null : reader.String(tls, "certificate", "gateway.tls"),
            TlsKey = tls is null ? null : reader.String(tls, "key", "gateway.tls"),
        };
    }

    private static GatewayAuthMode? ReadAuth(ConfigReader reader, JsonObject entry, string key)
    {
        var text = reader.String(entry, "auth", key);
        var auth = text switch
        {
            null => GatewayAuthMode.Passthrough,
            "passthrough" => GatewayAuthMode.Passthrough,
            "basic" => GatewayAuthMode.Basic,
            "anonymous" => GatewayAuthMode.Anonymous,
            _ => (GatewayAuthMode?)null,
        };
        if (auth is null)
        {
            reader.Error(ConfigReader.Join(key, "auth"), $"'{text}' is not one of passthrough, basic, anonymous");
        }

        return auth;
    }

    /// <summary>
    /// <c>gateway.sources</c>: each entry a source host with its mirror, auth and prefix. Two entries
    /// may not name the same source or the same prefix, one prefix may not lie inside another, and
    /// at most one entry has no prefix (it takes the requests no prefix and no <c>ns</c> claims).
    /// </summary>
    private static IReadOnlyList<GatewaySource> ReadSources(ConfigReader reader, JsonNode list)
    {
        if (list is not JsonArray array || array.Count == 0)
        {
            reader.Error("gateway.sources", "must be a non-empty list of {source, mirror, auth, htpasswd, prefix} entries");
            return [];
        }

        var sources = new List<GatewaySource>();
        for (var i = 0; i < array.Count; i++)
        {
            var key = $"gateway.sources[{i}]";
            if (reader.Object(array[i], key) is not { } entry)
            {
                continue;
            }

            reader.AllowOnly(entry, key, "source", "mirror", "auth", "htpasswd", "prefix");
            var source = reader.String(entry, "source", key, required: true);
            var auth = ReadAuth(reader, entry, key);
            var htpasswd = reader.String(entry, "htpasswd", key);
            if (auth == GatewayAuthMode.Basic && htpasswd is null)
            {
                reader.Error(ConfigReader.Join(key, "htpasswd"), "is required when auth is basic");
            }

            var prefix = reader.String(entry, "prefix", key) ?? string.Empty;
            if (prefix.Length > 0)
            {
                prefix = prefix.EndsWith('/') ? prefix : prefix + "/";
                if (!Registry.Protocol.ImageReference.IsValidRepository(prefix.TrimEnd('/')))
                {
                    reader.Error(ConfigReader.Join(key, "prefix"), $"'{prefix}' is not a repository path (lower-case components separated by '/')");
                }
            }

            if (source is null || auth is null)
            {
                continue;
            }

            if (sources.FirstOrDefault(s => string.Equals(s.Source, source, StringComparison.OrdinalIgnoreCase)) is not null)
            {
                reader.Error(ConfigReader.Join(key, "source"), $"{source} is already the source of another entry");
            }

            if (sources.FirstOrDefault(s => s.Prefix.Length > 0 && prefix.Length > 0 && (s.Prefix.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(s.Prefix, StringComparison.Ordinal))) is { } clash)
            {
                reader.Error(ConfigReader.Join(key, "prefix"), $"'{prefix}' overlaps the prefix '{clash.Prefix}' of {clash.Source}: a path must lead to one source");
            }

            if (prefix.Length == 0 && sources.FirstOrDefault(s => s.Prefix.Length == 0) is { } other)
            {
                reader.Error(ConfigReader.Join(key, "prefix"), $"is required: {other.Source} already takes the paths without a prefix (at most one source has none)");
            }

            sources.Add(new GatewaySource(source, reader.String(entry, "mirror", key), auth.Value, htpasswd, prefix));
        }

        return sources;
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
