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
    private readonly TransferGate _transfers;
    private readonly Retrier _retry;
    private readonly Planner _planner;
    private readonly ImageCopier _copier;
    private readonly ReferrerCopier _referrers;
    private readonly ImageVerifier _verifier;
    private readonly KeyedLock _images = new();

    public ReplicationEngine(SyncOptions options, RecordStore? records, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        Options = options;
        Records = records;
        _time = time;
        _logger = loggers.CreateLogger("SyncGateway.Replicator");
        _transfers = new TransferGate(options.Concurrency);
        _retry = new Retrier(RetryPolicy.Create(options.Retries, options.RetryDelay, time, _logger));
        _planner = new Planner(_retry, _logger, options.Shard);
        var blobs = new BlobCopier(records, _transfers, Transfers, _retry, time, _logger);
        _copier = new ImageCopier(blobs, records, _retry, new CopyOptions(options.Force, options.Platforms), _logger);
        _referrers = new ReferrerCopier(blobs, _retry, _logger);
        _verifier = new ImageVerifier(_retry, options.Platforms);
    }

    public SyncOptions Options { get; }

    /// <summary>The blobs being sent to each destination registry now, which the gateway's fills on read share.</summary>
    public BlobTransfers Transfers { get; } = new();

    /// <summary>The records every copy reads and writes; null for a run without records.</summary>
    public RecordStore? Records { get; }

    /// <summary>Blob streams that may start now (for tests and diagnostics).</summary>
    internal int FreeTransfers => _transfers.Free;

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
        var results = new ConcurrentQueue<TaskResult>();
        var counts = new int[Enum.GetValues<SyncStatus>().Length];
        var planned = 0;

        // The tasks of one source image are put together while they wait for a copier, so that the
        // image is read once for all its destinations.
        IEnumerable<Task> Copy(ChannelReader<IReadOnlyList<SyncTask>> tasks, CancellationToken stop)
        {
            var groups = Channel.CreateBounded<List<SyncTask>>(new BoundedChannelOptions(1) { SingleWriter = true });
            yield return Task.Run(
                async () =>
                {
                    try
                    {
                        await SourceImageGroups.GatherAsync(tasks, groups.Writer, Options.ImagesInFlight, stop).ConfigureAwait(false);
                    }
                    finally
                    {
                        groups.Writer.TryComplete();
                    }
                },
                CancellationToken.None);
            for (var i = 0; i < Options.ImagesInFlight; i++)
            {
                yield return Task.Run(
                    async () =>
                    {
                        await foreach (var group in groups.Reader.ReadAllAsync(stop).ConfigureAwait(false))
                        {
                            foreach (var result in await CopyAllAsync(group, run, stop).ConfigureAwait(false))
                            {
                                Interlocked.Increment(ref counts[(int)result.Status]);
                                if (Options.KeepSucceeded || result.Status is SyncStatus.Failed or SyncStatus.Conflict)
                                {
                                    results.Enqueue(result);
                                }

                                observer?.Completed(result);
                            }
                        }
                    },
                    CancellationToken.None);
            }
        }

        var plan = await PlannedWork.RunAsync(_planner, configuration, run, Options.ImagesInFlight, () => observer?.Planned(Interlocked.Increment(ref planned)), Copy, cancellationToken).ConfigureAwait(false);
        return new SyncSummary(results.ToArray(), plan.Failures, stats, _time.GetElapsedTime(started))
        {
            PatternMatches = plan.PatternMatches,
            Counts = Enum.GetValues<SyncStatus>().ToDictionary(s => s, s => counts[(int)s]),
        };
    }

    /// <summary>
    /// The migration's sign-off: the same discovery and selection as <see cref="RunAsync"/>, then
    /// for every image a HEAD at the source and at the destination, and nothing else (no manifest
    /// GET, so no counted pull). The comparisons run as the plan streams, and only their counts and
    /// the images not in sync are kept, unless <paramref name="keepInSync"/> asks for every image
    /// (a report that lists them all, a digest file), so memory does not grow with images in sync.
    /// </summary>
    public async Task<VerifyReport> VerifyAsync(SyncConfiguration configuration, RegistryClientPool registries, bool keepInSync, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var run = new RunContext(registries, new TransferStats());
        var kept = new ConcurrentQueue<VerifyResult>();
        var counts = new int[Enum.GetValues<VerifyStatus>().Length];

        IEnumerable<Task> Check(ChannelReader<IReadOnlyList<SyncTask>> images, CancellationToken stop) => Enumerable.Range(0, Options.ImagesInFlight).Select(_ => Task.Run(
            async () =>
            {
                await foreach (var image in images.ReadAllAsync(stop).ConfigureAwait(false))
                {
                    foreach (var task in image)
                    {
                        var result = await _verifier.VerifyAsync(task, run, stop).ConfigureAwait(false);
                        Interlocked.Increment(ref counts[(int)result.Status]);

                        // An index a rule's platforms rewrote is in sync but worth naming (the digests differ on purpose).
                        if (keepInSync || result.Status != VerifyStatus.InSync || result.RewrittenFrom is not null)
                        {
                            kept.Enqueue(result);
                        }
                    }
                }
            },
            CancellationToken.None));

        var plan = await PlannedWork.RunAsync(_planner, configuration, run, Options.ImagesInFlight, planned: null, Check, cancellationToken).ConfigureAwait(false);
        var results = kept.OrderBy(r => r.Task.Source.ToString(), StringComparer.Ordinal).ThenBy(r => r.Task.Destination.ToString(), StringComparer.Ordinal).ToList();
        return new VerifyReport(results, plan.Failures, _time.GetElapsedTime(started))
        {
            Counts = Enum.GetValues<VerifyStatus>().ToDictionary(s => s, s => counts[(int)s]),
        };
    }

    /// <summary>
    /// Copies one task (a queued event). A failure is returned, not thrown, and recorded; only
    /// cancellation escapes.
    /// </summary>
    public Task<TaskResult> CopyAsync(SyncTask task, RegistryClientPool registries, TransferStats stats, CancellationToken cancellationToken) =>
        CopyAsync(task, new RunContext(registries, stats), cancellationToken);

    private async Task<TaskResult> CopyAsync(SyncTask task, RunContext run, CancellationToken cancellationToken) =>
        (await CopyAllAsync([task], run, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Copies one source image to each of its destinations (one task each), holding every
    /// destination image's lock (taken in order, so two groups never wait for each other).
    /// </summary>
    private async Task<TaskResult[]> CopyAllAsync(IReadOnlyList<SyncTask> tasks, RunContext run, CancellationToken cancellationToken)
    {
        var held = new List<IDisposable>();
        try
        {
            foreach (var destination in tasks.Select(t => t.Destination.ToString()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                held.Add(await _images.AcquireAsync(destination, cancellationToken).ConfigureAwait(false));
            }

            var copies = _copier.CopyAllAsync(tasks, run, cancellationToken);
            var results = new TaskResult[tasks.Count];
            for (var i = 0; i < tasks.Count; i++)
            {
                results[i] = await ResultAsync(tasks[i], copies[i], run, cancellationToken).ConfigureAwait(false);
            }

            return results;
        }
        finally
        {
            held.ForEach(h => h.Dispose());
        }
    }

    /// <summary>How one task ended, logged and counted. A failure is returned, not thrown, and recorded; only cancellation escapes.</summary>
    private async Task<TaskResult> ResultAsync(SyncTask task, Task<CopyResult> copying, RunContext run, CancellationToken cancellationToken)
    {
        try
        {
            var copy = await copying.ConfigureAwait(false);
            await CopyReferrersAsync(task, copy, run, cancellationToken).ConfigureAwait(false);
            if (copy.AlreadyInSync)
            {
                ReplicatorLog.InSync(_logger, task.Source.ToString(), task.Destination.ToString(), copy.Digest.ToString());
                run.Stats.TaskEnded(TaskOutcome.InSync);
                return new TaskResult(task, SyncStatus.AlreadyInSync, copy.Digest, null) { RewrittenFrom = copy.RewrittenFrom };
            }

            ReplicatorLog.Synced(_logger, task.Source.ToString(), task.Destination.ToString(), copy.Digest.ToString());
            run.Stats.TaskEnded(TaskOutcome.Synced);
            return new TaskResult(task, SyncStatus.Synced, copy.Digest, null) { RewrittenFrom = copy.RewrittenFrom };
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

    /// <summary>
    /// Signatures, SBOMs and attestations follow their image, also when the image was in sync (a
    /// signature added later). An immutable tag found in sync costs no request, so nothing is looked
    /// up for it; the referrers of an index that a rule's platforms rewrote do not apply to the new one.
    /// </summary>
    private async Task CopyReferrersAsync(SyncTask task, CopyResult copy, RunContext run, CancellationToken cancellationToken)
    {
        if (!task.Referrers || (task.Immutable && copy.AlreadyInSync))
        {
            return;
        }

        if (copy.RewrittenFrom is { } original)
        {
            ReplicatorLog.ReferrersOfRewrittenIndex(_logger, task.Source.ToString(), original.ToString(), task.Destination.ToString());
            return;
        }

        await _referrers.CopyAsync(task, copy.Digest, run, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The engine holds nothing that needs freeing today; callers dispose it so that it may.</summary>
    public void Dispose()
    {
    }
}
