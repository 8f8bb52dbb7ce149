using Microsoft.Extensions.Logging.Abstractions;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Replication;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Engine;

namespace SyncGateway.Gateway.Tests.Replication;

/// <summary>Polling on the clock: a reconciliation at start, then one every <c>pollInterval</c>, and none when it is 0.</summary>
public sealed class ReconcilerTests
{
    [Theory]
    [InlineData(300, 3)]
    [InlineData(0, 1)]
    public async Task Reconciles_AtStart_ThenEveryPollInterval(int intervalSeconds, int expected)
    {
        using var workspace = new Workspace();
        var time = new PollWatchingTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), TimeSpan.FromSeconds(intervalSeconds));
        var configuration = new SyncConfiguration
        {
            Rules = [],
            Registries = [],
            Replicator = new ReplicatorSettings { PollInterval = TimeSpan.FromSeconds(intervalSeconds) },
            Gateway = new GatewaySettings { Source = "source.example.com" },
        };
        var config = workspace.Write("c.yaml", "rules: []\n");
        using var live = new LiveConfiguration(config, configuration, time, NullLoggerFactory.Instance);
        using var engine = new ReplicationEngine(new SyncOptions(), null, time, NullLoggerFactory.Instance);
        var state = new ReconcileState();
        using var reconciler = new Reconciler(live, engine, state, new ReplicationMetrics(), time, NullLogger<Reconciler>.Instance);
        var reconciled = new List<DateTimeOffset>();

        await reconciler.StartAsync(default);
        Assert.True(SpinWait.SpinUntil(() => state.Last is not null, TimeSpan.FromSeconds(5)), "the first reconciliation runs at start");
        reconciled.Add(state.Last!.Value.At);
        for (var step = 0; step < 2 * Math.Max(intervalSeconds, 1) + 10; step++)
        {
            // At a poll, the clock moves on only once the reconciler waits for the next one (a busy
            // machine may take longer than any sleep to get there); then a second at a time.
            if (intervalSeconds > 0 && step % intervalSeconds == 0)
            {
                var polls = (step / intervalSeconds) + 1;
                Assert.True(SpinWait.SpinUntil(() => time.PollWaits >= polls, TimeSpan.FromSeconds(5)), $"the reconciler waits for poll {polls}");
            }
            else
            {
                Thread.Sleep(intervalSeconds > 0 ? 1 : 100);
            }

            time.Advance(TimeSpan.FromSeconds(1));
            if (state.Last is { } last && last.At != reconciled[^1])
            {
                reconciled.Add(last.At);
            }
        }

        await reconciler.StopAsync(default);
        Assert.Equal(expected, reconciled.Count);
        Assert.Equal(Enumerable.Range(0, expected).Select(i => time.Start + TimeSpan.FromSeconds(i * intervalSeconds)), reconciled);
    }
}
