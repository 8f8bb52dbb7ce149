using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Replicator.Running;

/// <summary>
/// One bulk sync: plan every rule, copy every task with at most <see cref="SyncOptions.Concurrency"/>
/// images and blob streams at once, and sum it up. A failing image never stops the others.
/// </summary>
public sealed class SyncRunner(RegistryClientPool registries, TimeProvider time, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("SyncGateway.Replicator");

    /// <summary>Expands the rules without copying anything (<c>--dry-run</c>).</summary>
    public async Task<Plan> PlanAsync(SyncConfiguration configuration, SyncOptions options, CancellationToken cancellationToken)
    {
        var stats = new TransferStats();
        var retry = RetryPolicy.Create(options.Retries, options.RetryDelay, time, stats, _logger);
        return await new Planner(registries, retry, _logger).PlanAsync(configuration.Rules, options.Concurrency, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs every rule. <paramref name="stats"/> counts as the run goes, for a live display. A
    /// process that keeps the records open passes them in; otherwise they are opened from
    /// <see cref="SyncOptions.RecordsPath"/> for this run.
    /// </summary>
    public async Task<SyncSummary> RunAsync(SyncConfiguration configuration, SyncOptions options, TransferStats stats, ISyncObserver? observer, CancellationToken cancellationToken, RecordStore? records = null)
    {
        var started = time.GetTimestamp();
        var retry = RetryPolicy.Create(options.Retries, options.RetryDelay, time, stats, _logger);
        using var opened = records is null && options.RecordsPath is not null ? RecordStore.Open(options.RecordsPath, time) : null;
        records ??= opened;

        var plan = await new Planner(registries, retry, _logger).PlanAsync(configuration.Rules, options.Concurrency, cancellationToken).ConfigureAwait(false);
        observer?.Planned(plan.Tasks.Count);

        var results = await CopyAsync(plan.Tasks, options, stats, records, observer, cancellationToken).ConfigureAwait(false);
        return new SyncSummary(results, plan.Failures, stats, time.GetElapsedTime(started));
    }

    /// <summary>Copies the given tasks (events from a gateway or a webhook), without planning, with the daemon's open records.</summary>
    public async Task<IReadOnlyList<TaskResult>> CopyAsync(IReadOnlyList<SyncTask> tasks, SyncOptions options, TransferStats stats, RecordStore records, CancellationToken cancellationToken) =>
        await CopyAsync(tasks, options, stats, records, null, cancellationToken).ConfigureAwait(false);

    private async Task<TaskResult[]> CopyAsync(IReadOnlyList<SyncTask> tasks, SyncOptions options, TransferStats stats, RecordStore? records, ISyncObserver? observer, CancellationToken cancellationToken)
    {
        var retry = RetryPolicy.Create(options.Retries, options.RetryDelay, time, stats, _logger);
        using var transfers = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        var blobs = new BlobCopier(records, transfers, stats, retry, _logger);
        var copier = new ImageCopier(registries, blobs, records, retry, stats, new CopyOptions(options.Force, options.Platforms), _logger);
        var results = new TaskResult[tasks.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, tasks.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var result = await CopyOneAsync(copier, records, stats, tasks[i], ct).ConfigureAwait(false);
                results[i] = result;
                observer?.Completed(result);
            }).ConfigureAwait(false);
        return results;
    }

    private async Task<TaskResult> CopyOneAsync(ImageCopier copier, RecordStore? records, TransferStats stats, SyncTask task, CancellationToken cancellationToken)
    {
        try
        {
            var copy = await copier.CopyAsync(task, cancellationToken).ConfigureAwait(false);
            if (copy.AlreadyInSync)
            {
                ReplicatorLog.InSync(_logger, task.Source.ToString(), task.Destination.ToString(), copy.Digest.ToString());
                stats.TaskEnded("in_sync");
                return new TaskResult(task, SyncStatus.AlreadyInSync, copy.Digest, null);
            }

            ReplicatorLog.Synced(_logger, task.Source.ToString(), task.Destination.ToString(), copy.Digest.ToString());
            stats.TaskEnded("synced");
            return new TaskResult(task, SyncStatus.Synced, copy.Digest, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = RetryPolicy.Describe(ex);
            ReplicatorLog.Failed(_logger, task.Source.ToString(), task.Destination.ToString(), reason);
            stats.TaskEnded("failed");
            if (records is not null)
            {
                await records.RecordFailureAsync(task.Source.ToString(), task.Destination.ToString(), reason, CancellationToken.None).ConfigureAwait(false);
            }

            return new TaskResult(task, SyncStatus.Failed, null, reason);
        }
    }
}
