using System.Text.Json;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// A rule's <c>platforms</c> under <c>serve</c>: only that rule's indexes are rewritten, the new
/// digest is logged, counted in the metrics, and <c>verify</c> calls the image in sync.
/// </summary>
public sealed class PlatformRuleTests
{
    [Fact]
    public async Task ARuleWithPlatforms_RewritesOnlyItsIndexes_AndTheChangeIsLoggedCountedAndVerified()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var entries = new List<(SeededImage, string, string)>();
        var wholeEntries = new List<(SeededImage, string, string)>();
        foreach (var (architecture, seed) in new[] { ("amd64", 1300), ("arm64", 1301), ("s390x", 1302) })
        {
            entries.Add((await seeder.PushImageAsync("lib/multi", architecture, [ImageSeeder.RandomBytes(2000, seed)], architecture: architecture), "linux", architecture));
            wholeEntries.Add((await seeder.PushImageAsync("lib/whole", architecture, [ImageSeeder.RandomBytes(2000, seed + 10)], architecture: architecture), "linux", architecture));
        }

        var multi = await seeder.PushIndexAsync("lib/multi", "1", entries);
        var whole = await seeder.PushIndexAsync("lib/whole", "1", wholeEntries);

        var rule = $"  - source: {source.Host}/lib/multi\n    destination: {mirror.Host}/mirror/multi\n    tags: [\"1\"]\n    platforms: [linux/amd64, linux/arm64]\n";
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/whole"], extraRules: rule);

        var copied = await atMirror.ManifestAsync("mirror/multi", "1");
        Assert.NotNull(copied);
        var copiedDigest = ImageSeeder.DigestOf(copied);
        var platforms = JsonDocument.Parse(copied).RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()).ToList();
        Assert.Equal(["amd64", "arm64"], platforms);
        Assert.NotEqual(multi.Digest, copiedDigest);
        Assert.Equal(whole.Digest, await atMirror.ManifestDigestAsync("mirror/whole", "1"));
        Assert.Null(await atMirror.ManifestDigestAsync("mirror/multi", entries[2].Item1.Digest));
        Assert.Contains($"digest {multi.Digest} becomes {copiedDigest}", gateway.Log, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        var exposition = await http.GetStringAsync("metrics");
        var counted = exposition.Split('\n').Single(l => l.StartsWith("syncgateway_replicator_indexes_rewritten_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(counted.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 1, counted);

        var verify = await CliRun.InvokeAsync("verify", "--config", gateway.ConfigPath);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"in sync, the index rewritten for the rule's platforms ({multi.Digest} became {copiedDigest})", verify.Out, StringComparison.Ordinal);
    }
}
