using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Replication;

/// <summary>Copies what the gateway queues (pushes it saw, reads that missed the mirror), a batch at a time.</summary>
internal sealed partial class ReplicationWorker(ReplicationQueue queue, SyncRunner runner, SyncOptions options, ILogger<ReplicationWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<Replicator.Planning.SyncTask> batch;
            try
            {
                batch = await queue.TakeAsync(64, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var results = await runner.CopyAsync(batch, options, new TransferStats(), stoppingToken).ConfigureAwait(false);
                Log.Batch(logger, results.Count(r => r.Status != SyncStatus.Failed), results.Count(r => r.Status == SyncStatus.Failed));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.BatchFailed(logger, ex);
            }
            finally
            {
                foreach (var task in batch)
                {
                    queue.Done(task);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Replicated {Done} image(s), {Failed} failed")]
        public static partial void Batch(ILogger logger, int done, int failed);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "A replication batch failed")]
        public static partial void BatchFailed(ILogger logger, Exception exception);
    }
}
