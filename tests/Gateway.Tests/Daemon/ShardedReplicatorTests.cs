using Microsoft.Data.Sqlite;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Replicator.Planning;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// Two <c>--role replicator --shards 2</c> replicas and one <c>--role gateway --shards 2</c>, as the
/// chart's StatefulSet and Deployment run them: each replica owns the source repositories that hash
/// to its ordinal, the gateway sends each push to its owner (<c>{shard}</c> in
/// <c>gateway.replicator</c>), a webhook that reaches the wrong replica is forwarded, and a replica
/// that is down delays only its own share.
/// </summary>
/// <remarks>
/// The replicas listen on one port of two loopback addresses (127.0.0.10 and 127.0.0.11), so that
/// <c>http://127.0.0.1{shard}:PORT/</c> names each, as a StatefulSet's per-pod DNS names do.
/// </remarks>
public sealed class ShardedReplicatorTests
{
    [Fact]
    public async Task EachReplicaCopiesOnlyItsShare_PushesAndWebhooksReachTheOwner_AndADownReplicaDelaysOnlyItsOwn()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);

        // One repository of each shard, and a second one of shard 1 for the webhook.
        var candidates = Enumerable.Range(0, 64).Select(i => $"lib/app-{i}").ToList();
        var ownedBy0 = candidates.First(r => Shard.OwnerOf(source.Host, r, 2) == 0);
        var ownedBy1 = candidates.Where(r => Shard.OwnerOf(source.Host, r, 2) == 1).Take(2).ToList();
        string[] repositories = [ownedBy0, .. ownedBy1];
        var seeded = new List<SeededImage>();
        for (var i = 0; i < 3; i++)
        {
            seeded.Add(await seeder.PushImageAsync($"seed/s{i}", "1", [ImageSeeder.GzipBytes(10_000, 1100 + i)]));
        }

        var port = RegistryProcess.FreePort();
        var template = $"http://127.0.0.1{{shard}}:{port}/";
        using var files0 = new Workspace();
        using var files1 = new Workspace();
        using var gatewayFiles = new Workspace();
        var replica0 = await RunningGateway.StartAsync(files0, source.Host, mirror.Host, repositories, role: "replicator", replicator: template, address: "127.0.0.10", port: port, arguments: ["--shard", "0/2"]);
        var replica1 = await RunningGateway.StartAsync(files1, source.Host, mirror.Host, repositories, role: "replicator", replicator: template, address: "127.0.0.11", port: port, arguments: ["--shard", "1/2"]);
        await using var gateway = await RunningGateway.StartAsync(gatewayFiles, source.Host, mirror.Host, repositories, role: "gateway", replicator: template, arguments: ["--shards", "2"]);
        try
        {
            // A push through the gateway reaches the replica that owns the repository.
            await Skopeo.CopyAsync($"docker://{source.Host}/seed/s0:1", $"docker://{gateway.Host}/{ownedBy0}:1");
            await Skopeo.CopyAsync($"docker://{source.Host}/seed/s1:1", $"docker://{gateway.Host}/{ownedBy1[0]}:1");
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync(Mirrored(ownedBy0), "1") == seeded[0].Digest), replica0.Log + gateway.Log);
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync(Mirrored(ownedBy1[0]), "1") == seeded[1].Digest), replica1.Log + gateway.Log);

            // A registry's webhook reaches any replica (the Service picks one): replica 0 forwards shard 1's event.
            await Skopeo.CopyAsync($"docker://{source.Host}/seed/s2:1", $"docker://{source.Host}/{ownedBy1[1]}:1");
            var queued = await Webhook.PushAsync(replica0.BaseUri, ownedBy1[1], "1");
            Assert.Equal(1, queued);
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync(Mirrored(ownedBy1[1]), "1") == seeded[2].Digest), replica0.Log + replica1.Log);

            var status = await Webhook.StatusAsync(replica1.BaseUri);
            Assert.Equal(1, status.GetProperty("shard").GetProperty("index").GetInt32());
            Assert.Equal(2, status.GetProperty("shard").GetProperty("count").GetInt32());

            // Replica 1 stops: shard 0's pushes still replicate at once.
            await replica1.DisposeAsync();
            await Skopeo.CopyAsync($"docker://{source.Host}/seed/s2:1", $"docker://{gateway.Host}/{ownedBy0}:2");
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync(Mirrored(ownedBy0), "2") == seeded[2].Digest), replica0.Log + gateway.Log);
        }
        finally
        {
            await replica0.DisposeAsync();
            await replica1.DisposeAsync();
        }

        Assert.Equal([Mirrored(ownedBy0)], ReplicatedRepositories(files0.Records));
        Assert.Equal(ownedBy1.Select(Mirrored).Order(StringComparer.Ordinal), ReplicatedRepositories(files1.Records));
    }

    [Fact]
    public async Task ShardedReplicas_WithoutAShardTemplate_OrInOneProcess_AreConfigurationErrors()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("g.yaml", """
            rules:
              - source: h.example.com/a
                destination: d.example.com/a
            webhooks:
              secret: s
            gateway:
              source: h.example.com
              replicator: http://syncgateway-replicator:5000/
            """);

        var noTemplate = await CliRun.InvokeAsync("serve", "--config", config, "--role", "gateway", "--shards", "2");
        var oneProcess = await CliRun.InvokeAsync("serve", "--config", config, "--shard", "0/2", "--records", workspace.Records);

        Assert.Equal(2, noTemplate.ExitCode);
        Assert.Contains("gateway.replicator naming each replicator with {shard} for its ordinal", noTemplate.Error, StringComparison.Ordinal);
        Assert.Equal(2, oneProcess.ExitCode);
        Assert.Contains("--shards: needs --role replicator", oneProcess.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.Records));
    }

    private static string Mirrored(string repository) => "mirror/" + repository[(repository.LastIndexOf('/') + 1)..];

    /// <summary>The destination repositories a replica's records say it replicated a tag to.</summary>
    private static List<string> ReplicatedRepositories(string records)
    {
        using var connection = new SqliteConnection($"Data Source={records};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT repository FROM tags ORDER BY repository";
        using var reader = command.ExecuteReader();
        var repositories = new List<string>();
        while (reader.Read())
        {
            repositories.Add(reader.GetString(0));
        }

        return repositories;
    }
}
