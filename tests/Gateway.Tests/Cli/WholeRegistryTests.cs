using System.Text.Json;
using SyncGateway.Gateway.Tests.Daemon;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// Whole-registry migrations against real registries: pattern sources discovered through a paged
/// catalog, tag selection by semver and latest-N, destination tags that are never clobbered, and
/// <c>verify</c> as the sign-off.
/// </summary>
public sealed class WholeRegistryTests
{
    [Fact]
    public async Task ADoubleStarRule_WithIncludeAndExclude_CopiesExactlyTheMatchedRepositories_ThroughACatalogPagedAt50()
    {
        await using var source = await RegistryProcess.StartAsync(catalogMaxEntries: 50);
        await using var destination = await RegistryProcess.StartAsync();
        await using var watched = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var shared = ImageSeeder.RandomBytes(2000, 930);
        var repositories = Enumerable.Range(0, 50).SelectMany(i => new[] { $"team/app-{i:00}", $"team/sub/svc-{i:00}", $"team/sub/deep/job-{i:00}" })
            .Append("other/app-00")
            .ToList();
        foreach (var repository in repositories)
        {
            await seeder.PushImageAsync(repository, "1", [shared]);
        }

        var config = workspace.Write("team.yaml", $$"""
            registries:
              "{{watched.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{watched.Host}}/team/**
                repositories:
                  include: ["app-*", "sub/**"]
                  exclude: ["sub/deep/**", "/-0[0-4]$/"]
                destination: {{destination.Host}}/mirror/{path}
            """);

        var dry = await CliRun.InvokeAsync("sync", "--config", config, "--dry-run");
        watched.Requests.Clear();
        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"pattern rules[0] ({watched.Host}/team/**): 90 repositories matched", dry.Out, StringComparison.Ordinal);
        Assert.Contains("Synced 90, already in sync 0, failed 0", run.Out, StringComparison.Ordinal);
        Assert.True(watched.Requests.Count(r => r.StartsWith("GET /v2/_catalog", StringComparison.Ordinal)) >= 3, string.Join("\n", watched.Requests.Where(r => r.Contains("_catalog", StringComparison.Ordinal))));
        var expected = Enumerable.Range(5, 45).SelectMany(i => new[] { $"app-{i:00}", $"sub/svc-{i:00}" }).ToHashSet(StringComparer.Ordinal);
        using var http = new HttpClient();
        var catalog = JsonDocument.Parse(await http.GetStringAsync($"http://{destination.Host}/v2/_catalog?n=1000")).RootElement.GetProperty("repositories")
            .EnumerateArray().Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(expected.Select(e => "mirror/" + e).ToHashSet(StringComparer.Ordinal), catalog);
    }

    [Fact]
    public async Task ARepositoryCreatedWhileServeRuns_IsReplicatedByTheNextPoll_AndAPushEventForItToo()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        using var workspace = new Workspace();
        await seeder.PushImageAsync("proj/first", "1", [ImageSeeder.RandomBytes(1000, 940)]);
        var pattern = $"  - source: {source.Host}/proj/*\n    destination: {mirror.Host}/copy/{{name}}\n";
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, [], pollInterval: "1s", extraRules: pattern);

        var created = await seeder.PushImageAsync("proj/created", "1", [ImageSeeder.RandomBytes(1000, 941)]);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("copy/created", "1") == created.Digest), gateway.Log);

        var pushed = await seeder.PushImageAsync("proj/created", "2", [ImageSeeder.RandomBytes(1000, 942)]);
        Assert.Equal(1, await Webhook.PushAsync(gateway.BaseUri, "proj/created", "2"));
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("copy/created", "2") == pushed.Digest), gateway.Log);
        Assert.NotNull(await atMirror.ManifestDigestAsync("copy/first", "1"));
    }

    [Fact]
    public async Task SemverAndLatest_KeepExactlyTheHighestVersionsInTheRange()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        string[] tags = ["1.0.0", "1.1.0", "1.2.0", "1.2.1", "1.3.0-rc.1", "2.0.0", "latest", "v1.2.5", "1.2.2-beta"];
        foreach (var (tag, i) in tags.Select((t, i) => (t, i)))
        {
            await seeder.PushImageAsync("lib/versioned", tag, [ImageSeeder.RandomBytes(500, 950 + i)]);
        }

        var config = workspace.Write("semver.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/versioned
                destination: {{destination.Host}}/m/versioned
                semver: ">=1.1.0 <2.0.0"
                latest: 3
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["1.2.0", "1.2.1", "v1.2.5"], (await reader.TagsAsync("m/versioned")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ADestinationTagWithAnotherDigest_IsAConflict_LeftAlone_AndVerifyNamesIt()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var atDestination = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var one = await seeder.PushImageAsync("lib/owned", "1", [ImageSeeder.RandomBytes(800, 960)]);
        var two = await seeder.PushImageAsync("lib/owned", "2", [ImageSeeder.RandomBytes(800, 961)]);
        var theirs = await atDestination.PushImageAsync("m/owned", "2", [ImageSeeder.RandomBytes(800, 962)]);
        var config = workspace.Write("owned.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/owned
                destination: {{destination.Host}}/m/owned
                overwrite: false
            """);
        var digests = Path.Combine(workspace.Folder, "digests.txt");

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records, "--output-digests", digests);
        var verify = await CliRun.InvokeAsync("verify", "--config", config, "--json");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("failed 0, failed to generate 0, conflicts 1", run.Out, StringComparison.Ordinal);
        Assert.Contains($"{destination.Host}/m/owned:2 is at {theirs.Digest}, the source at {two.Digest}; left alone", run.Out, StringComparison.Ordinal);
        Assert.Equal(theirs.Digest, await atDestination.ManifestDigestAsync("m/owned", "2"));
        Assert.Equal(one.Digest, await atDestination.ManifestDigestAsync("m/owned", "1"));
        Assert.Equal([$"{source.Host}/lib/owned:1 {destination.Host}/m/owned:1 {one.Digest}"], await File.ReadAllLinesAsync(digests));
        Assert.True(verify.ExitCode == 1, verify.ToString());
        var conflict = JsonDocument.Parse(verify.Out).RootElement.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("status").GetString() == "conflict");
        Assert.Equal($"{destination.Host}/m/owned:2", conflict.GetProperty("destination").GetString());
        Assert.Equal(theirs.Digest, conflict.GetProperty("destinationDigest").GetString());
    }

    [Fact]
    public async Task Verify_ExitsZeroAfterASync_AndOneAfterADestinationTagIsChangedBehindItsBack_NamingIt()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var watched = await FaultProxy.StartAsync(source.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var atDestination = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var images = new List<SeededImage>();
        for (var i = 0; i < 4; i++)
        {
            images.Add(await seeder.PushImageAsync($"lib/v{i}", "1", [ImageSeeder.RandomBytes(600, 970 + i)]));
        }

        var config = workspace.Write("verify.yaml", $$"""
            registries:
              "{{watched.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{watched.Host}}/lib/*
                destination: {{destination.Host}}/m/{name}
            """);
        var synced = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);
        var digests = Path.Combine(workspace.Folder, "verified.txt");
        watched.Requests.Clear();

        var clean = await CliRun.InvokeAsync("verify", "--config", config, "--output-digests", digests);
        await atDestination.PushImageAsync("m/v2", "1", [ImageSeeder.RandomBytes(600, 979)]);
        var changed = await CliRun.InvokeAsync("verify", "--config", config);

        Assert.True(synced.ExitCode == 0, synced.ToString());
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("Verified 4 images: in sync 4, missing 0, different 0, conflicts 0, failed 0", clean.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(watched.Requests, r => r.StartsWith("GET /v2/lib/", StringComparison.Ordinal) && r.Contains("/manifests/", StringComparison.Ordinal));
        Assert.Equal(
            images.Select(i => $"{watched.Host}/{i.Repository}:1 {destination.Host}/m/{i.Repository[4..]}:1 {i.Digest}").Order(StringComparer.Ordinal),
            (await File.ReadAllLinesAsync(digests)).Order(StringComparer.Ordinal));
        Assert.True(changed.ExitCode == 1, changed.ToString());
        Assert.Contains($"{watched.Host}/lib/v2:1 -> {destination.Host}/m/v2:1: different: the destination is at", changed.Out, StringComparison.Ordinal);
        Assert.Contains("in sync 3, missing 0, different 1", changed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadSelection_ExitsTwo_NamingEveryProblem_AndTouchesNothing()
    {
        using var workspace = new Workspace();
        var config = workspace.Write("bad.yaml", """
            rules:
              - source: harbor.example.com/team/**x
                destination: registry.example.com/ns/{path}
              - source: harbor.example.com/team/**
                destination: registry.example.com/ns/{tag}
              - source: harbor.example.com/lib/app
                destination: registry.example.com/ns/app
                semver: ">=1.x.y"
              - source: harbor.example.com/lib/api
                destination: registry.example.com/ns/api
                latest: 0
                overwrite: maybe
              - source: harbor.example.com/lib/web
                destination: registry.example.com/ns/{name}
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("6 configuration error(s)", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[0] (harbor.example.com/team/**x)", run.Error, StringComparison.Ordinal);
        Assert.Contains("'{tag}' is not a placeholder", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[2].semver", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[3].latest: '0' is not a whole number from 1", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[3].overwrite: 'maybe' is not true or false", run.Error, StringComparison.Ordinal);
        Assert.Contains("rules[4] (harbor.example.com/lib/web): the destination 'registry.example.com/ns/{name}' has a placeholder", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(workspace.Records), "nothing may be touched");
    }
}
