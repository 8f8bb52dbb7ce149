using System.Text.Json.Nodes;

namespace SyncGateway.Replicator.Configuration;

/// <summary>The native file's <c>gateway</c> section (with <c>webhooks</c>): one source or several, their mirrors and auth modes.</summary>
internal static class NativeGatewayReader
{
    public static GatewaySettings? Read(ConfigReader reader, JsonObject? gateway, JsonObject? webhooks)
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
}
