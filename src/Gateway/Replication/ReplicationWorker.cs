using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Queue;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Gateway.Replication;

/// <summary>
/// Copies what waits in the durable queue (pushes the gateway saw, webhook events, reads that
/// missed the mirror). <see cref="SyncOptions.ImagesInFlight"/> slots each take the next entry as
/// soon as they are free (blob streams still share the engine's <see cref="SyncOptions.Concurrency"/>), so one large image holds one slot and the rest flow past it. Finished work
/// leaves the queue (unless a newer event came meanwhile: then it runs again); failed work stays,
/// with its reason, and comes back later; work whose source image is gone ends, recorded.
/// </summary>
internal sealed partial class ReplicationWorker(ReplicationQueue queue, ReplicationEngine engine, LiveConfiguration live, ReplicationMetrics metrics, TimeProvider time, ILogger<ReplicationWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);

    /// <summary>How long copies in flight may go on after shutdown begins; what is not done by then stays queued.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(20);

    private readonly TransferStats _stats = new(metrics);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Shutdown stops the taking of work at once, and gives the copies in flight a grace period.
        using var copying = new CancellationTokenSource();
        using var graceful = stoppingToken.Register(() => copying.CancelAfter(ShutdownGrace));
        queue.DepthChanged += ShowDepth;
        try
        {
            ReplicationMetrics.QueueDepth.Set(await queue.DepthAsync(stoppingToken).ConfigureAwait(false));
            var slots = Enumerable.Range(0, engine.Options.ImagesInFlight).Select(_ => Task.Run(() => RunSlotAsync(stoppingToken, copying.Token), CancellationToken.None));
            await Task.WhenAll(slots).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Unfinished copies stay in the queue for the next start.
        }
        finally
        {
            queue.DepthChanged -= ShowDepth;
        }
    }

    private static void ShowDepth(int depth) => ReplicationMetrics.QueueDepth.Set(depth);

    private async Task RunSlotAsync(CancellationToken stopping, CancellationToken copying)
    {
        while (!stopping.IsCancellationRequested)
        {
            QueuedItem item;
            try
            {
                item = await queue.TakeAsync(Idle, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The queue keeps the work; pause so a broken records file does not spin.
                Log.TakeFailed(logger, ex);
                await Task.Delay(Idle, time, stopping).ConfigureAwait(false);
                continue;
            }

            await CopyAsync(item, copying).ConfigureAwait(false);
        }
    }

    private async Task CopyAsync(QueuedItem item, CancellationToken copying)
    {
        TaskResult result;
        try
        {
            using var lease = live.Lease();

            // The rules as they are now decide how (overwrite, immutable), and whether at all.
            if (RuleTasks.Current(lease.Generation.Configuration, item.Task) is not { } task)
            {
                await queue.CompleteAsync(item, CancellationToken.None).ConfigureAwait(false);
                Log.NoLongerRuled(logger, item.Task.ToString());
                return;
            }

            result = await engine.CopyAsync(task, lease.Generation.Registries, _stats, copying).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (copying.IsCancellationRequested)
        {
            queue.Release(item);
            return;
        }
        catch (Exception ex)
        {
            // The slot lives on; the entry stays queued and comes back after its pause.
            Log.RecordFailed(logger, item.Task.ToString(), ex);
            await TryPostponeAsync(item, ex.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            // The outcome is recorded even while shutting down: that is the checkpoint.
            if (result.Status != SyncStatus.Failed)
            {
                var ended = await queue.CompleteAsync(item, CancellationToken.None).ConfigureAwait(false);
                ReplicationMetrics.Lag.Observe((time.GetUtcNow() - item.Work.EnqueuedAt).TotalSeconds);
                if (!ended)
                {
                    Log.ChangedWhileCopying(logger, item.Task.Source.ToString());
                }
            }
            else if (result.SourceGone)
            {
                await queue.CompleteAsync(item, CancellationToken.None).ConfigureAwait(false);
                Log.Gone(logger, item.Task.Source.ToString(), result.Error ?? "gone");
            }
            else
            {
                await queue.PostponeAsync(item, result.Error ?? "failed", CancellationToken.None).ConfigureAwait(false);
                Log.Postponed(logger, item.Task.ToString(), item.Work.Attempts + 1);
            }
        }
        catch (Exception ex)
        {
            queue.Release(item);
            Log.RecordFailed(logger, item.Task.ToString(), ex);
        }
    }

    private async Task TryPostponeAsync(QueuedItem item, string error)
    {
        try
        {
            await queue.PostponeAsync(item, error, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            queue.Release(item);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Source} changed while it was being copied; copying it again")]
        public static partial void ChangedWhileCopying(ILogger logger, string source);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Taking work from the queue failed")]
        public static partial void TakeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Source} is gone from the source; its queued copy ends: {Reason}")]
        public static partial void Gone(ILogger logger, string source, string reason);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "{Task} failed (attempt {Attempt}); queued again")]
        public static partial void Postponed(ILogger logger, string task, int attempt);

        [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "No rule gives {Task} any more; its queued copy ends")]
        public static partial void NoLongerRuled(ILogger logger, string task);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Recording the outcome of {Task} failed; it stays queued")]
        public static partial void RecordFailed(ILogger logger, string task, Exception exception);
    }
}
