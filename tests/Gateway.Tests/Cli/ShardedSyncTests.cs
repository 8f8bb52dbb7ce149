using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// A migration split into shards, as the pods of an Indexed Job run it: each <c>sync --shard I/N</c>
/// copies only its source repositories (pattern rules split after discovery), keeps its own records
/// and says in its summary and files which shard it is; the union is the whole migration, which an
/// unsharded <c>verify</c> confirms.
/// </summary>
public sealed class ShardedSyncTests
{
    [Fact]
    public async Task ThreeShards_CopyDisjointShares_WhoseUnionVerifiesAsTheWholeMigration()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        var shared = ImageSeeder.RandomBytes(1500, 940);
        var repositories = Enumerable.Range(0, 24).Select(i => i % 2 == 0 ? $"team/app-{i:00}" : $"team/sub/svc-{i:00}").ToList();
        foreach (var repository in repositories)
        {
            await seeder.PushImageAsync(repository, "1", [shared]);
        }

        await seeder.PushImageAsync("pinned/tool", "2", [shared]);
        var config = workspace.Write("sharded.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/team/**
                destination: {{destination.Host}}/mirror/{path}
              - source: {{source.Host}}/pinned/tool
                destination: {{destination.Host}}/mirror/tool
            """);
        string Digests(int i) => Path.Combine(workspace.Folder, $"digests-{i}-of-3.txt");

        var runs = new List<CliRun>();
        for (var i = 0; i < 2; i++)
        {
            runs.Add(await CliRun.InvokeAsync(
                "sync", "--config", config, "--shard", $"{i}/3", "--records", Path.Combine(workspace.Folder, "records-{shard}.db"),
                "--output-digests", Path.Combine(workspace.Folder, "digests-{shard}.txt")));
        }

        var partial = await CliRun.InvokeAsync("verify", "--config", config);
        runs.Add(await CliRun.InvokeAsync(
            "sync", "--config", config, "--shard", "2/3", "--records", Path.Combine(workspace.Folder, "records-{shard}.db"),
            "--output-digests", Path.Combine(workspace.Folder, "digests-{shard}.txt")));
        var whole = await CliRun.InvokeAsync("verify", "--config", config);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(runs[i].ExitCode == 0, runs[i].ToString());
            Assert.StartsWith($"Shard {i}/3: the source repositories whose hash falls to shard {i} of 3", runs[i].Out, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(workspace.Folder, $"records-{i}-of-3.db")), $"shard {i} keeps records of its own");
            Assert.Equal($"# written by shard {i}/3 of syncgateway sync", File.ReadLines(Digests(i)).First());
        }

        var copied = Enumerable.Range(0, 3).Select(i => File.ReadLines(Digests(i)).Skip(1).Select(l => l.Split(' ')[0]).ToList()).ToList();
        var everyImage = repositories.Select(r => $"{source.Host}/{r}:1").Append($"{source.Host}/pinned/tool:2").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(everyImage, copied.SelectMany(c => c).Order(StringComparer.Ordinal));
        Assert.All(copied, share => Assert.NotEmpty(share));
        Assert.True(partial.ExitCode == 1, partial.ToString());
        Assert.Contains($"missing {copied[2].Count},", partial.Out, StringComparison.Ordinal);
        Assert.True(whole.ExitCode == 0, whole.ToString());
        Assert.Contains($"Verified {everyImage.Count} images: in sync {everyImage.Count}, missing 0", whole.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--shard", "3/3", "--shard: shard 3 does not exist out of 3 (indexes are 0 to 2)")]
    [InlineData("--shard", "one/3", "--shard: 'one/3' is not INDEX/COUNT (for example 0/4)")]
    [InlineData("--shards", "0", "--shards: 0 is not a positive number of shards")]
    public async Task ABadShard_ExitsTwo_SayingWhatIsWrong_AndTouchesNothing(string flag, string value, string message)
    {
        using var workspace = new Workspace();
        var config = workspace.Write("c.yaml", "rules:\n  - source: h.example.com/a\n    destination: d.example.com/a\n");

        var run = await CliRun.InvokeAsync("sync", "--config", config, flag, value, "--records", workspace.Records);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.Records));
    }

    [Fact]
    public async Task BothShardFlags_AreRefused()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("c.yaml", "rules:\n  - source: h.example.com/a\n    destination: d.example.com/a\n");

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--shard", "0/2", "--shards", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--shard and --shards: give one", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordsThatCannotBeOpened_ExitTwo_NamingThePath()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("c.yaml", "rules:\n  - source: h.example.com/a\n    destination: d.example.com/a\n");
        var records = Path.Combine(config, "records.db"); // under a file: no folder can be made there

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", records);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"error: --records: {records} cannot be opened", run.Error, StringComparison.Ordinal);
    }
}
