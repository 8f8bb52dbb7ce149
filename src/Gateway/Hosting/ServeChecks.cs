using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SyncGateway.Gateway.Options;
using SyncGateway.Gateway.Proxy;
using SyncGateway.Gateway.Replication;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Gateway.Hosting;

/// <summary>
/// What <c>serve</c> needs beyond a valid file, checked before anything starts: the files the
/// gateway section names can be read (htpasswd, TLS certificate and key), the role has what it
/// needs, and the records can be opened. Every problem is named, with its file and key.
/// </summary>
internal static class ServeChecks
{
    public static IReadOnlyList<string> Check(string configPath, SyncConfiguration configuration, SyncOptions options, ServeRole role)
    {
        var problems = new List<string>();
        void Problem(string key, string message) => problems.Add($"{configPath}: {key}: {message}");

        var gateway = configuration.Gateway;
        if (gateway?.Source is null)
        {
            Problem("gateway.source", "is required for serve (the registry the gateway fronts; or gateway.sources, a list of them)");
            return problems;
        }

        if (role == ServeRole.Gateway && (gateway.Replicator is null || gateway.WebhookSecret is null))
        {
            Problem("gateway.replicator and webhooks.secret", "are both required for --role gateway (where pushes are sent, and the secret they carry)");
        }

        if (!options.Shard.IsWhole)
        {
            if (role == ServeRole.All)
            {
                Problem("--shards", "needs --role replicator (each replica owns a share of the source repositories) or --role gateway (replicas that send each push to its owner)");
            }
            else if (gateway.Replicator?.Contains(RemoteReplicationEvents.ShardPlaceholder, StringComparison.Ordinal) != true || gateway.WebhookSecret is null)
            {
                Problem("gateway.replicator and webhooks.secret", $"are both required with --shards {options.Shard.Count}, gateway.replicator naming each replicator with {RemoteReplicationEvents.ShardPlaceholder} for its ordinal "
                    + "(e.g. http://syncgateway-replicator-{shard}.syncgateway-replicator:5000/): pushes and webhook events go to the replicator that owns their repository");
            }
        }

        if (gateway.WebhookSecret is { Length: 0 })
        {
            Problem("webhooks.secret", "is empty; leave it out to refuse every webhook, or set a secret");
        }

        if (role.ServesRegistry())
        {
            foreach (var source in gateway.Sources.Where(s => s.Auth == GatewayAuthMode.Basic && s.Htpasswd is not null))
            {
                var key = gateway.Sources.Count > 1 ? $"gateway.sources[{source.Source}].htpasswd" : "gateway.htpasswd";
                try
                {
                    if (GatewayAuth.ReadHtpasswd(source.Htpasswd!).Count == 0)
                    {
                        Problem(key, $"{source.Htpasswd} has no users: nobody could log in");
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    Problem(key, $"cannot be used: {ex.Message}");
                }
            }

            CheckTls(gateway, Problem);
        }

        // Opening the records creates them: only once everything else is right.
        if (role.Replicates() && problems.Count == 0)
        {
            var records = options.RecordsPath ?? ReplicatorSettings.DefaultRecords;
            try
            {
                using var opened = RecordStore.Open(records, TimeProvider.System);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                Problem("replicator.records", $"{records} cannot be opened: {ex.Message}");
            }
        }

        return problems;
    }

    private static void CheckTls(GatewaySettings gateway, Action<string, string> problem)
    {
        var https = gateway.Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (gateway.TlsCertificate is null != gateway.TlsKey is null)
        {
            problem("gateway.tls", "needs both certificate and key");
            return;
        }

        if (gateway.TlsCertificate is not { } certificate)
        {
            if (https)
            {
                problem("gateway.listen", $"{gateway.Listen} is https, which needs gateway.tls.certificate and gateway.tls.key");
            }

            return;
        }

        try
        {
            using var loaded = X509Certificate2.CreateFromPemFile(certificate, gateway.TlsKey);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            problem("gateway.tls", $"the certificate {certificate} with the key {gateway.TlsKey} cannot be loaded: {ex.Message}");
        }
    }
}
