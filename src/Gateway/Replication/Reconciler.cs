using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Gateway.Replication;

/// <summary>
/// A bulk sync of every rule at start, then again at every <c>replicator.pollInterval</c>: tag lists
/// and HEAD requests find what was pushed straight to the source (not through the gateway), and
/// anything an event missed is put right. It runs on the process's one engine, so it shares the
/// stream limit and the in-flight blobs with the queue worker.
/// </summary>
internal sealed partial class Reconciler(LiveConfiguration live, ReplicationEngine engine, ReconcileState state, ReplicationMetrics metrics, TimeProvider time, ILogger<Reconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stats = new TransferStats(metrics);
        do
        {
            try
            {
                using var lease = live.Lease();
                var summary = await engine.RunAsync(lease.Generation.Configuration, lease.Generation.Registries, stats, null, stoppingToken).ConfigureAwait(false);
                state.Completed(summary, time.GetUtcNow());
                if (summary.PlanFailures.Count == 0)
                {
                    ReplicationMetrics.LastPoll.Set(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
                }

                Log.Reconciled(logger, summary.Synced, summary.AlreadyInSync, summary.Failed.Count() + summary.PlanFailures.Count);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ReconcileFailed(logger, ex);
            }

            var interval = live.Configuration.Replicator.PollInterval;
            if (interval <= TimeSpan.Zero)
            {
                return;
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        while (!stoppingToken.IsCancellationRequested);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Reconciled every rule: {Synced} synced, {InSync} already in sync, {Failed} failed")]
        public static partial void Reconciled(ILogger logger, int synced, int inSync, int failed);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Reconciling the rules failed")]
        public static partial void ReconcileFailed(ILogger logger, Exception exception);
    }
}
