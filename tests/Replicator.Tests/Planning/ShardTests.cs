using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Planning;

namespace SyncGateway.Replicator.Tests.Planning;

/// <summary>
/// Shards partition the plan: every source repository falls to exactly one shard of N, the same in
/// every process, and the planner of shard I keeps exactly its repositories, so the union of the
/// shards' plans is the whole plan with no image in two.
/// </summary>
public sealed class ShardTests
{
    // Read once: ten thousand rules take a moment to parse on a busy machine.
    private static readonly Lazy<SyncConfiguration> TenThousandRules = new(LoadTenThousandRules);

    [Fact]
    public void TenThousandRepositories_FallToExactlyOneShard_ForEveryCountFrom1To16()
    {
        var names = Enumerable.Range(0, 10_000).Select(i => $"team-{i % 37}/app-{i}").ToList();
        for (var count = 1; count <= 16; count++)
        {
            var owners = names.Select(n => Shard.OwnerOf("harbor.example.com", n, count)).ToList();
            var sizes = new int[count];
            foreach (var owner in owners)
            {
                Assert.InRange(owner, 0, count - 1);
                sizes[owner]++;
            }

            Assert.Equal(names.Count, sizes.Sum());

            // Even enough that N pods finish together: every shard within 15% of its fair share.
            var fair = names.Count / (double)count;
            Assert.All(sizes, size => Assert.InRange(size, fair * 0.85, fair * 1.15));
        }
    }

    [Fact]
    public void TheOwner_DependsOnlyOnTheName_NotOnCaseOfTheHostOrOnTheProcess()
    {
        // Pinned: every pod of a migration, whatever its version, must agree on these.
        Assert.Equal(Shard.OwnerOf("harbor.example.com", "library/nginx", 4), Shard.OwnerOf("HARBOR.example.com", "library/nginx", 4));
        var expected = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("harbor.example.com/library/nginx")))[..16];
        Assert.Equal((int)(Convert.ToUInt64(expected, 16) % 7), Shard.OwnerOf("harbor.example.com", "library/nginx", 7));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    public async Task TheShardsPlans_AreDisjoint_AndTheirUnionIsTheWholePlan(int count)
    {
        var configuration = TenThousandRules.Value;
        var whole = await PlanAsync(configuration, Shard.Whole);

        var union = new List<string>();
        for (var index = 0; index < count; index++)
        {
            union.AddRange(await PlanAsync(configuration, new Shard(index, count)));
        }

        Assert.Equal(20_050, whole.Count);
        Assert.Equal(whole.Count, union.Count);
        Assert.Equal(whole.Order(StringComparer.Ordinal), union.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RulesThatNameOneDestination_AreKeptInOneShard_SoTheFirstRuleStillWins()
    {
        var configuration = TenThousandRules.Value;
        var owners = new ShardMap(configuration);

        for (var i = 0; i < 10_000; i += 200)
        {
            var first = ImageReference.Parse($"src.example.com/team/app-{i}:1");
            var second = ImageReference.Parse($"src.example.com/other/app-{i}:1");
            Assert.Equal(owners.OwnerOf(first, 16), owners.OwnerOf(second, 16));
        }
    }

    [Theory]
    [InlineData("0/4", 0, 4, null)]
    [InlineData("3/4", 3, 4, null)]
    [InlineData("4/4", 0, 0, "shard 4 does not exist out of 4 (indexes are 0 to 3)")]
    [InlineData("1/0", 0, 0, "0 is not a positive number of shards")]
    [InlineData("-1/4", 0, 0, "'-1/4' is not INDEX/COUNT (for example 0/4)")]
    [InlineData("2", 0, 0, "'2' is not INDEX/COUNT (for example 0/4)")]
    public void Parse_ReadsIndexSlashCount_OrSaysWhatIsWrong(string text, int index, int count, string? error)
    {
        var shard = Shard.Parse(text, out var problem);

        Assert.Equal(error, problem);
        Assert.Equal(error is null ? new Shard(index, count) : null, shard);
    }

    [Fact]
    public void TheIndex_ComesFromTheIndexedJob_ThenFromThePodsOrdinal()
    {
        var job = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "2", ["HOSTNAME"] = "sync-2-abcde" };
        var pod = new Dictionary<string, string> { ["POD_NAME"] = "syncgateway-replicator-1", ["HOSTNAME"] = "ignored-7" };
        var host = new Dictionary<string, string> { ["HOSTNAME"] = "syncgateway-replicator-3" };

        Assert.Equal(new Shard(2, 4), Shard.FromEnvironment(4, job.GetValueOrDefault, out _));
        Assert.Equal(new Shard(1, 4), Shard.FromEnvironment(4, pod.GetValueOrDefault, out _));
        Assert.Equal(new Shard(3, 4), Shard.FromEnvironment(4, host.GetValueOrDefault, out _));
    }

    [Fact]
    public void AnIndexThatCannotBeFound_OrIsOutOfRange_IsNamed()
    {
        Assert.Null(Shard.FromEnvironment(4, new Dictionary<string, string>().GetValueOrDefault, out var none));
        Assert.Null(Shard.FromEnvironment(4, new Dictionary<string, string> { ["HOSTNAME"] = "syncgateway-gateway-7f9c-x2k" }.GetValueOrDefault, out var notAnOrdinal));
        Assert.Null(Shard.FromEnvironment(4, new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "4" }.GetValueOrDefault, out var tooHigh));

        Assert.Equal("neither JOB_COMPLETION_INDEX nor POD_NAME nor HOSTNAME is set: give the index with --shard INDEX/4", none);
        Assert.Equal("HOSTNAME='syncgateway-gateway-7f9c-x2k' does not end in -<ordinal>, and JOB_COMPLETION_INDEX is not set: give the index with --shard INDEX/4", notAnOrdinal);
        Assert.Equal("shard 4 does not exist out of 4 (indexes are 0 to 3)", tooHigh);
    }

    /// <summary>
    /// 10,000 rules with exact tags (planned without asking a registry), and 50 more from other
    /// sources that name a destination of the first ones: the planner keeps the first.
    /// </summary>
    private static SyncConfiguration LoadTenThousandRules()
    {
        var yaml = new StringBuilder("rules:\n");
        for (var i = 0; i < 10_000; i++)
        {
            yaml.Append("  - source: src.example.com/team/app-").Append(i).Append("\n    destination: dst.example.com/mirror/app-").Append(i).Append("\n    tags: [\"1\", \"2\"]\n");
        }

        for (var i = 0; i < 10_000; i += 200)
        {
            yaml.Append("  - source: src.example.com/other/app-").Append(i).Append("\n    destination: dst.example.com/mirror/app-").Append(i).Append("\n    tags: [\"1\", \"3\"]\n");
        }

        var folder = Directory.CreateTempSubdirectory("syncgateway-shards-").FullName;
        try
        {
            var path = Path.Combine(folder, "rules.yaml");
            File.WriteAllText(path, yaml.ToString());
            return ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = path }, _ => null);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<List<string>> PlanAsync(SyncConfiguration configuration, Shard shard)
    {
        using var registries = new RegistryClientPool(configuration.Registries, TimeProvider.System);
        using var engine = new ReplicationEngine(new SyncOptions { Shard = shard }, null, TimeProvider.System, NullLoggerFactory.Instance);
        var plan = await engine.PlanAsync(configuration, registries, CancellationToken.None);
        return plan.Tasks.Select(t => $"{t.Source} -> {t.Destination}").ToList();
    }
}
