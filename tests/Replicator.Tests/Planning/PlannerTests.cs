using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Transport;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;
using SyncGateway.Replicator.Tests.Copying;

namespace SyncGateway.Replicator.Tests.Planning;

/// <summary>
/// What the planner makes of pattern rules against a scripted source: every repository the catalog
/// lists that the pattern takes, in order, with its listed tags; destinations two repositories or
/// two rules share; and how far ahead of the copying it lists.
/// </summary>
public sealed class PlannerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("syncgateway-planner-").FullName;
    private readonly ScriptedRegistry _source = new();
    private readonly RegistryClientPool _registries;

    public PlannerTests() =>
        _registries = new RegistryClientPool(
            [new RegistryEndpoint { Host = "src.test" }, new RegistryEndpoint { Host = "dst.test" }],
            TimeProvider.System,
            endpoint => endpoint.Host == "src.test" ? _source : new ScriptedRegistry());

    public void Dispose()
    {
        _registries.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task APatternRule_PlansEveryRepositoryItTakes_InCatalogOrder_AcrossCatalogPages_WithTheirListedTags()
    {
        Catalog(["org/a", "org/b/c", "orgs/x"], ["org/d", "other/org/e"]);
        Tags("org/a", "1", "2");
        Tags("org/b/c", "1");
        Tags("org/d", "3");

        var plan = await PlanAsync("""
            rules:
              - source: src.test/org/**
                destination: dst.test/m/{path}
            """);

        Assert.Empty(plan.Failures);
        Assert.Equal(
            ["src.test/org/a:1 -> dst.test/m/a:1", "src.test/org/a:2 -> dst.test/m/a:2", "src.test/org/b/c:1 -> dst.test/m/b/c:1", "src.test/org/d:3 -> dst.test/m/d:3"],
            plan.Tasks.Select(t => t.ToString()));
        Assert.Equal(3, plan.PatternMatches.Values.Single());
    }

    [Fact]
    public async Task TwoRepositoriesAFlatteningTemplateSendsToOnePlace_AreBothNamed_AndNeitherIsPlannedThere()
    {
        Catalog(["team1/app", "team1/web", "team2/app"]);
        Tags("team1/app", "1");
        Tags("team1/web", "1");
        Tags("team2/app", "1");

        var plan = await PlanAsync("""
            rules:
              - source: src.test/**
                destination: dst.test/flat/{name}
            """);

        Assert.Equal(["src.test/team1/web:1 -> dst.test/flat/web:1"], plan.Tasks.Select(t => t.ToString()));
        var failure = Assert.Single(plan.Failures);
        Assert.Contains("src.test/team1/app and src.test/team2/app would all go to dst.test/flat/app; none of them is copied there", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADestinationTwoRulesName_IsPlannedFromTheFirstRule_AndTheSecondIsReported()
    {
        Catalog(["lib/app", "org/app", "org/web"]);
        Tags("lib/app", "1");
        Tags("org/app", "1");
        Tags("org/web", "1");

        var plan = await PlanAsync("""
            rules:
              - source: src.test/org/**
                destination: dst.test/m/{path}
              - source: src.test/lib/**
                destination: dst.test/m/{path}
            """);

        Assert.Equal(["src.test/org/app:1 -> dst.test/m/app:1", "src.test/org/web:1 -> dst.test/m/web:1"], plan.Tasks.Select(t => t.ToString()));
        var failure = Assert.Single(plan.Failures);
        Assert.Contains("src.test/lib/app:1 and src.test/org/app:1", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("both go to dst.test/m/app:1; keeping the first", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARuleWithSeveralDestinations_HandsOnEachSourceImageWithAllItsDestinationsAtOnce()
    {
        Tags("org/a", "1", "2");
        var configuration = Load("""
            rules:
              - source: src.test/org/a
                destinations: [dst.test/m/a, dst.test/n/a, dst.test/o/a]
            """);
        var planner = new Planner(new Retrier(RetryPolicy.Create(0, TimeSpan.Zero, TimeProvider.System, NullLogger.Instance)), NullLogger.Instance, Shard.Whole);
        var handedOn = new List<IReadOnlyList<SyncTask>>();

        var plan = await planner.StreamAsync(
            configuration,
            new RunContext(_registries, new TransferStats()),
            4,
            image =>
            {
                handedOn.Add(image);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None);

        // A copier that took the first destination alone would read the image again for the others.
        Assert.Empty(plan.Failures);
        Assert.Equal(2, handedOn.Count);
        Assert.Equal(["dst.test/m/a:1", "dst.test/n/a:1", "dst.test/o/a:1"], handedOn[0].Select(t => t.Destination.ToString()));
        Assert.Equal(["dst.test/m/a:2", "dst.test/n/a:2", "dst.test/o/a:2"], handedOn[1].Select(t => t.Destination.ToString()));
        Assert.All(handedOn, image => Assert.Single(image.Select(t => t.Source).Distinct()));
    }

    [Fact]
    public async Task WhileTheCopyingTakesNothing_TheListingStaysWithinItsPlacesAhead_AndGoesOnWhenItTakes()
    {
        const int Repositories = 40;
        const int Ahead = 4;
        var names = Enumerable.Range(0, Repositories).Select(i => $"org/app{i:00}").ToList();
        Catalog([.. names]);
        foreach (var name in names)
        {
            Tags(name, "1");
        }

        var configuration = Load("""
            rules:
              - source: src.test/org/**
                destination: dst.test/m/{path}
            """);
        var planner = new Planner(new Retrier(RetryPolicy.Create(0, TimeSpan.Zero, TimeProvider.System, NullLogger.Instance)), NullLogger.Instance, Shard.Whole);
        var taken = new ConcurrentQueue<SyncTask>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var planning = planner.StreamAsync(
            configuration,
            new RunContext(_registries, new TransferStats()),
            Ahead,
            async image =>
            {
                foreach (var task in image)
                {
                    taken.Enqueue(task);
                }

                if (taken.Count == 1)
                {
                    await go.Task;
                }
            },
            CancellationToken.None);

        // The first task is held: the listing ahead of it fills its places, then waits.
        await WaitUntilAsync(() => TagLists() >= Ahead);
        await Task.Delay(300);
        Assert.InRange(TagLists(), Ahead, Ahead + 1);

        go.SetResult();
        var plan = await planning;
        Assert.Empty(plan.Failures);
        Assert.Equal(names.Select(n => $"src.test/{n}:1 -> dst.test/m/{n["org/".Length..]}:1"), taken.Select(t => t.ToString()));
        Assert.Equal(Repositories, TagLists());
    }

    private int TagLists() => _source.Requests.Count(r => r.Contains("/tags/list", StringComparison.Ordinal));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "timed out");
    }

    private async Task<Plan> PlanAsync(string yaml)
    {
        using var engine = new ReplicationEngine(new SyncOptions { Retries = 0 }, null, TimeProvider.System, NullLoggerFactory.Instance);
        return await engine.PlanAsync(Load(yaml), _registries, CancellationToken.None);
    }

    private SyncConfiguration Load(string yaml)
    {
        var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = path, Defaults = new SyncDefaults(null, null) }, _ => null);
    }

    /// <summary>The source's catalog, one page per array, each but the last with a Link to the next.</summary>
    private void Catalog(params string[][] pages)
    {
        _source.On("GET", "/v2/_catalog", request =>
        {
            var query = request.RequestUri!.Query;
            var index = query.Contains("page=", StringComparison.Ordinal) ? int.Parse(query[(query.IndexOf("page=", StringComparison.Ordinal) + 5)..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            var response = Json($$"""{"repositories": [{{string.Join(", ", pages[index].Select(r => $"\"{r}\""))}}]}""");
            if (index + 1 < pages.Length)
            {
                response.Headers.TryAddWithoutValidation("Link", $"</v2/_catalog?n=1000&page={index + 1}>; rel=\"next\"");
            }

            return response;
        });
    }

    private void Tags(string repository, params string[] tags) =>
        _source.On("GET", $"/v2/{repository}/tags/list", _ => Json($$"""{"name": "{{repository}}", "tags": [{{string.Join(", ", tags.Select(t => $"\"{t}\""))}}]}"""));

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
