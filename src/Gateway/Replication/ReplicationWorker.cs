using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Hosting;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Replication;

/// <summary>
/// Copies what waits in the durable queue (pushes the gateway saw, webhook events, reads that
/// missed the mirror), a batch at a time. Finished work leaves the queue; failed work stays, with
/// its reason, and comes back later.
/// </summary>
internal sealed partial class ReplicationWorker(ReplicationQueue queue, RecordStore records, LiveConfiguration live, SyncOptions options, ReplicationMetrics metrics, TimeProvider time, ILogger<ReplicationWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);

    /// <summary>How long copies in flight may go on after shutdown begins; what is not done by then stays queued.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Shutdown stops the taking of work at once, and gives the batch in flight a grace period.
        using var copying = new CancellationTokenSource();
        using var graceful = stoppingToken.Register(() => copying.CancelAfter(ShutdownGrace));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                ReplicationMetrics.QueueDepth.Set(await queue.DepthAsync(stoppingToken).ConfigureAwait(false));
                var batch = await queue.TakeAsync(64, Idle, stoppingToken).ConfigureAwait(false);
                ReplicationMetrics.QueueDepth.Set(await queue.DepthAsync(stoppingToken).ConfigureAwait(false));
                var results = await live.Current.Runner.CopyAsync(batch.Select(b => b.Task).ToList(), options, new TransferStats(metrics), records, copying.Token).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    // The outcome is recorded even while shutting down: that is the checkpoint.
                    if (results[i].Status == SyncStatus.Failed)
                    {
                        await queue.PostponeAsync(batch[i].Work, results[i].Error ?? "failed", CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await queue.CompleteAsync(batch[i].Work, CancellationToken.None).ConfigureAwait(false);
                        ReplicationMetrics.Lag.Observe((time.GetUtcNow() - batch[i].Work.EnqueuedAt).TotalSeconds);
                    }
                }

                Log.Batch(logger, results.Count(r => r.Status != SyncStatus.Failed), results.Count(r => r.Status == SyncStatus.Failed));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Unfinished copies stay in the queue for the next start.
                return;
            }
            catch (Exception ex)
            {
                // The queue keeps the work; pause so a broken records file does not spin.
                Log.BatchFailed(logger, ex);
                await Task.Delay(Idle, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Replicated {Done} image(s), {Failed} failed and queued again")]
        public static partial void Batch(ILogger logger, int done, int failed);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "A replication batch failed")]
        public static partial void BatchFailed(ILogger logger, Exception exception);
    }
}
