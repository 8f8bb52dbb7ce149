using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Engine;

/// <summary>
/// The one replication engine of a process. Everything a guarantee depends on lives here once
/// and is shared by every caller (the bulk sync at start, the reconciler, the queue worker, the
/// one-shot <c>sync</c>): the transfer limiter (<see cref="SyncOptions.Concurrency"/> blob streams
/// in the whole process), the in-flight map (one stream of a blob per destination registry), the
/// per-image lock (two copies of one destination image never overlap, so an older one cannot
/// finish last), the retry pipeline and the records. The registry clients are not: each call
/// brings those of the configuration generation it started on.
/// </summary>
public sealed class ReplicationEngine : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _transfers;
    private readonly Retrier _retry;
    private readonly Planner _planner;
    private readonly ImageCopier _copier;
    private readonly KeyedLock _images = new();

    public ReplicationEngine(SyncOptions options, RecordStore? records, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        Options = options;
        Records = records;
        _time = time;
        _logger = loggers.CreateLogger("SyncGateway.Replicator");
        _transfers = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        _retry = new Retrier(RetryPolicy.Create(options.Retries, options.RetryDelay, time, _logger));
        _planner = new Planner(_retry, _logger);
        var blobs = new BlobCopier(records, _transfers, Transfers, _retry, _logger);
        _copier = new ImageCopier(blobs, records, _retry, new CopyOptions(options.Force, options.Platforms), _logger);
    }

    public SyncOptions Options { get; }

    /// <summary>The blobs being sent to each destination registry now, which the gateway's fills on read share.</summary>
    public BlobTransfers Transfers { get; } = new();

    /// <summary>The records every copy reads and writes; null for a run without records.</summary>
    public RecordStore? Records { get; }

    /// <summary>Blob streams that may start now (for tests and diagnostics).</summary>
    internal int FreeTransfers => _transfers.CurrentCount;

    /// <summary>Expands the rules without copying anything (<c>--dry-run</c>).</summary>
    public Task<Plan> PlanAsync(SyncConfiguration configuration, RegistryClientPool registries, CancellationToken cancellationToken) =>
        _planner.PlanAsync(configuration, new RunContext(registries, new TransferStats()), Options.ImagesInFlight, cancellationToken);

    /// <summary>
    /// A bulk sync: plans every rule and copies every task as the plan yields it,
    /// <see cref="SyncOptions.ImagesInFlight"/> images at a time (streams bounded by
    /// <see cref="SyncOptions.Concurrency"/>). <paramref name="stats"/> counts as the run goes, for a live display.
    /// </summary>
    public async Task<SyncSummary> RunAsync(SyncConfiguration configuration, RegistryClientPool registries, TransferStats stats, ISyncObserver? observer, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var run = new RunContext(registries, stats);
        var queue = Channel.CreateBounded<SyncTask>(new BoundedChannelOptions(4 * Options.ImagesInFlight) { SingleWriter = true });
        var results = new ConcurrentQueue<TaskResult>();
        var counts = new int[Enum.GetValues<SyncStatus>().Length];
        var planned = 0;

        // Copying starts with the first task the planner hands over; the planner lists ahead. If
        // either side fails, the other is stopped and awaited: nothing runs on after this returns.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var copiers = Enumerable.Range(0, Options.ImagesInFlight).Select(_ => Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var task in queue.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                    {
                        var result = await CopyAsync(task, run, stop.Token).ConfigureAwait(false);
                        Interlocked.Increment(ref counts[(int)result.Status]);
                        if (Options.KeepSucceeded || result.Status is SyncStatus.Failed or SyncStatus.Conflict)
                        {
                            results.Enqueue(result);
                        }

                        observer?.Completed(result);
                    }
                }
                catch
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            },
            CancellationToken.None)).ToList();
        Plan plan;
        try
        {
            plan = await _planner.StreamAsync(
                configuration,
                run,
                Options.ImagesInFlight,
                async task =>
                {
                    observer?.Planned(Interlocked.Increment(ref planned));
                    await queue.Writer.WriteAsync(task, stop.Token).ConfigureAwait(false);
                },
                stop.Token).ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            queue.Writer.TryComplete();
            await Task.WhenAll(copiers.Select(c => c.ContinueWith(static _ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }

        await Task.WhenAll(copiers).ConfigureAwait(false);
        return new SyncSummary(results.ToArray(), plan.Failures, stats, _time.GetElapsedTime(started))
        {
            PatternMatches = plan.PatternMatches,
            Counts = Enum.GetValues<SyncStatus>().ToDictionary(s => s, s => counts[(int)s]),
        };
    }

    /// <summary>
    /// The migration's sign-off: the same discovery and selection as <see cref="RunAsync"/>, then
    /// for every image a HEAD at the source and at the destination, and nothing else (no manifest
    /// GET, so no counted pull).
    /// </summary>
    public async Task<VerifyReport> VerifyAsync(SyncConfiguration configuration, RegistryClientPool registries, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var run = new RunContext(registries, new TransferStats());
        var plan = await _planner.PlanAsync(configuration, run, Options.ImagesInFlight, cancellationToken).ConfigureAwait(false);
        var results = new VerifyResult[plan.Tasks.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Tasks.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Options.ImagesInFlight, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await VerifyAsync(plan.Tasks[i], run, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return new VerifyReport(results, plan.Failures, _time.GetElapsedTime(started));
    }

    private async Task<VerifyResult> VerifyAsync(SyncTask task, RunContext run, CancellationToken cancellationToken)
    {
        try
        {
            var source = run.Registries.Get(task.Source.Registry, task.Source.Repository);
            var destination = run.Registries.Get(task.Destination.Registry, task.Destination.Repository);
            var atSource = _retry.RunAsync(ct => source.Manifests.HeadAsync(task.Source.Repository, task.Source.Reference, ct), run.Stats, cancellationToken);
            var atDestination = _retry.RunAsync(ct => destination.Manifests.HeadAsync(task.Destination.Repository, task.Destination.Reference, ct), run.Stats, cancellationToken);
            var (sourceHead, destinationHead) = (await atSource.ConfigureAwait(false), await atDestination.ConfigureAwait(false));
            if (sourceHead is null)
            {
                return new VerifyResult(task, VerifyStatus.Failed, null, destinationHead?.Digest, $"{task.Source} does not exist at the source");
            }

            var status = destinationHead is null ? VerifyStatus.Missing
                : destinationHead.Digest == sourceHead.Digest ? VerifyStatus.InSync
                : task.Overwrite ? VerifyStatus.Different
                : VerifyStatus.Conflict;
            return new VerifyResult(task, status, sourceHead.Digest, destinationHead?.Digest, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new VerifyResult(task, VerifyStatus.Failed, null, null, RetryPolicy.Describe(ex));
        }
    }

    /// <summary>
    /// Copies one task (a queued event). A failure is returned, not thrown, and recorded; only
    /// cancellation escapes.
    /// </summary>
    public Task<TaskResult> CopyAsync(SyncTask task, RegistryClientPool registries, TransferStats stats, CancellationToken cancellationToken) =>
        CopyAsync(task, new RunContext(registries, stats), cancellationToken);

    private async Task<TaskResult> CopyAsync(SyncTask task, RunContext run, CancellationToken cancellationToken)
    {
        try
        {
            using var exclusive = await _images.AcquireAsync(task.Destination.ToString(), cancellationToken).ConfigureAwait(false);
            var copy = await _copier.CopyAsync(task, run, cancellationToken).ConfigureAwait(false);
            if (copy.AlreadyInSync)
            {
                ReplicatorLog.InSync(_logger, task.Source.ToString(), task.Destination.ToString(), copy.Digest.ToString());
                run.Stats.TaskEnded(TaskOutcome.InSync);
                return new TaskResult(task, SyncStatus.AlreadyInSync, copy.Digest, null);
            }

            ReplicatorLog.Synced(_logger, task.Source.ToString(), task.Destination.ToString(), copy.Digest.ToString());
            run.Stats.TaskEnded(TaskOutcome.Synced);
            return new TaskResult(task, SyncStatus.Synced, copy.Digest, null);
        }
        catch (TagConflictException conflict)
        {
            ReplicatorLog.Conflict(_logger, task.Source.ToString(), task.Destination.ToString(), conflict.DestinationDigest.ToString(), conflict.SourceDigest.ToString());
            run.Stats.TaskEnded(TaskOutcome.Conflict);
            await RecordFailureAsync(task, "conflict: " + conflict.Message).ConfigureAwait(false);
            return new TaskResult(task, SyncStatus.Conflict, conflict.DestinationDigest, conflict.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = RetryPolicy.Describe(ex);
            ReplicatorLog.Failed(_logger, task.Source.ToString(), task.Destination.ToString(), reason);
            run.Stats.TaskEnded(TaskOutcome.Failed);
            await RecordFailureAsync(task, reason).ConfigureAwait(false);
            return new TaskResult(task, SyncStatus.Failed, null, reason) { SourceGone = ex is SourceImageGoneException };
        }
    }

    // The result stands whether or not the records could take it (a full disk must not stop the run).
    private async Task RecordFailureAsync(SyncTask task, string reason)
    {
        if (Records is null)
        {
            return;
        }

        try
        {
            await Records.RecordFailureAsync(task.Source.ToString(), task.Destination.ToString(), reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            ReplicatorLog.RecordingFailed(_logger, task.ToString(), ex.Message);
        }
    }

    public void Dispose() => _transfers.Dispose();
}
