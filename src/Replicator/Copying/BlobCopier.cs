using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Makes sure a destination repository holds a blob: a mount, a skip or an upload session first
/// (<see cref="BlobPreparer"/>), then the bytes, streamed from the source and verified on the way.
/// One blob is transferred once at a time per destination registry: an image that needs a blob
/// another image is already sending waits for it, then mounts or skips it. There is one of these
/// per process, so that holds for every caller at once, and <paramref name="transfers"/> bounds the
/// streams of all of them.
/// </summary>
internal sealed class BlobCopier(RecordStore? records, TransferGate transfers, BlobTransfers inflight, Retrier retry, TimeProvider time, ILogger logger)
{
    private const int MaxWaits = 8;

    private readonly BlobPreparer _preparer = new(records, logger);

    // How many images in flight need each blob: a stream of a blob many need gets a slot first.
    private readonly ConcurrentDictionary<Digest, int> _demand = new();

    public async Task EnsureAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken, string? hint = null)
    {
        var registry = destinationRepository.Registry;
        for (var wait = 0; ; wait++)
        {
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var leader = inflight.Lead(registry, blob.Digest, mine.Task);
            if (leader != mine.Task && wait < MaxWaits)
            {
                // Another image is sending this blob to this registry: wait, then mount or skip it.
                await leader.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await retry.RunAsync(ct => EnsureOnceAsync(run.Stats, source, sourceRepository, destination, destinationRepository, blob, hint, ct), run.Stats, cancellationToken).ConfigureAwait(false);
                return;
            }
            finally
            {
                if (leader == mine.Task)
                {
                    inflight.Release(registry, blob.Digest, mine.Task);
                }

                // Waiters only need to know the attempt is over; they ask the registry themselves.
                mine.SetResult();
            }
        }
    }

    /// <summary>
    /// Says that an image in flight is about to need these blobs, until the returned handle is
    /// disposed: while streams wait for a slot, the blobs that the most images need go first.
    /// </summary>
    public IDisposable Need(IEnumerable<Descriptor> needed)
    {
        var digests = needed.Select(b => b.Digest).Distinct().ToList();
        foreach (var digest in digests)
        {
            _demand.AddOrUpdate(digest, 1, static (_, n) => n + 1);
        }

        return new Needed(this, digests);
    }

    private sealed class Needed(BlobCopier owner, List<Digest> digests) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            foreach (var digest in digests)
            {
                // The last image that needed a blob takes its entry away, so the map holds only the window's blobs.
                if (owner._demand.AddOrUpdate(digest, 0, static (_, n) => n - 1) <= 0)
                {
                    owner._demand.TryRemove(KeyValuePair.Create(digest, 0));
                }
            }
        }
    }

    /// <summary>How long the other destinations of a shared read wait for one that reads nothing before it goes on alone.</summary>
    internal TimeSpan Stall { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Makes sure every target holds a blob, reading it from the source once for all of them (read
    /// once, write many): each target that lacks it gets its own upload session, and the bytes of one
    /// download stream to all those sessions at once (<see cref="BlobFanOut"/>), holding one stream
    /// slot. Returns one task per target, in order: a target whose upload fails does not fail the
    /// others; it is tried again alone, with a source read of its own. A target on the same registry
    /// as an earlier one is served after it, by a mount; a target whose registry is being sent this
    /// blob by another image waits for that, as <see cref="EnsureAsync"/> does.
    /// </summary>
    public IReadOnlyList<Task> EnsureAllAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, IReadOnlyList<BlobTarget> targets, Descriptor blob, CancellationToken cancellationToken)
    {
        if (targets.Count == 1)
        {
            return [EnsureAsync(run, source, sourceRepository, targets[0].Client, targets[0].Repository, blob, cancellationToken)];
        }

        var outcomes = new Task[targets.Count];
        var leaders = new List<(int Index, TaskCompletionSource Mine)>();
        var later = new List<(int Index, int First)>();
        var firstOnRegistry = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (firstOnRegistry.TryGetValue(target.Repository.Registry, out var first))
            {
                later.Add((i, first));
                continue;
            }

            firstOnRegistry.Add(target.Repository.Registry, i);
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (inflight.Lead(target.Repository.Registry, blob.Digest, mine.Task) == mine.Task)
            {
                leaders.Add((i, mine));
            }
            else
            {
                outcomes[i] = EnsureAsync(run, source, sourceRepository, target.Client, target.Repository, blob, cancellationToken);
            }
        }

        var led = LeadAsync(run, source, sourceRepository, leaders.Select(l => targets[l.Index]).ToList(), blob, cancellationToken);
        for (var k = 0; k < leaders.Count; k++)
        {
            var (index, mine) = leaders[k];
            var key = (targets[index].Repository.Registry, blob.Digest);
            outcomes[index] = FinishAsync(led[k], key, mine);
        }

        foreach (var (index, first) in later)
        {
            outcomes[index] = AfterAsync(run, source, sourceRepository, targets[index], targets[first].Repository.Repository, outcomes[first], blob, cancellationToken);
        }

        return outcomes;
    }

    private async Task FinishAsync(Task outcome, (string Registry, Digest Digest) key, TaskCompletionSource mine)
    {
        try
        {
            await outcome.ConfigureAwait(false);
        }
        finally
        {
            inflight.Release(key.Registry, key.Digest, mine.Task);
            mine.SetResult();
        }
    }

    // A second repository of one registry in the same image: once the first has the blob, a mount from it.
    private async Task AfterAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, BlobTarget target, string firstRepository, Task first, Descriptor blob, CancellationToken cancellationToken)
    {
        var hint = await first.ContinueWith(t => t.IsCompletedSuccessfully ? firstRepository : null, TaskScheduler.Default).ConfigureAwait(false);
        await EnsureAsync(run, source, sourceRepository, target.Client, target.Repository, blob, cancellationToken, hint).ConfigureAwait(false);
    }

    /// <summary>The targets this call leads: each prepared on its own, then one shared read for all that need the bytes.</summary>
    private Task[] LeadAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, IReadOnlyList<BlobTarget> targets, Descriptor blob, CancellationToken cancellationToken)
    {
        var prepared = targets.Select(t => retry.RunAsync(ct => _preparer.PrepareAsync(run.Stats, t.Client, t.Repository, blob, null, ct), run.Stats, cancellationToken)).ToArray();
        var sends = new TaskCompletionSource<Task[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = ShareAsync(run, source, sourceRepository, targets, prepared, blob, sends, cancellationToken);
        return targets.Select((t, k) => SendOrAloneAsync(run, source, sourceRepository, t, prepared[k], sends.Task, k, blob, cancellationToken)).ToArray();
    }

    // Once every target is prepared (none of which waits for anything but its own registry), one
    // download for all that opened a session; the stream slot is held until the shared read is over.
    private async Task ShareAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, IReadOnlyList<BlobTarget> targets, Task<Uri?>[] prepared, Descriptor blob, TaskCompletionSource<Task[]> sends, CancellationToken cancellationToken)
    {
        try
        {
            await ShareOnceAsync(run, source, sourceRepository, targets, prepared, blob, sends, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whoever waits for the shared read learns that it could not start.
            sends.TrySetException(ex);
        }
    }

    private async Task ShareOnceAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, IReadOnlyList<BlobTarget> targets, Task<Uri?>[] prepared, Descriptor blob, TaskCompletionSource<Task[]> sends, CancellationToken cancellationToken)
    {
        await Task.WhenAll(prepared.Select(p => p.ContinueWith(static _ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        var uploading = Enumerable.Range(0, targets.Count).Where(k => prepared[k].IsCompletedSuccessfully && prepared[k].Result is not null).ToList();
        var result = new Task[targets.Count];
        if (uploading.Count < 2)
        {
            // Nothing to share: a single upload reads the source alone, as any other.
            foreach (var k in uploading)
            {
                result[k] = UploadAsync(run.Stats, source, sourceRepository, targets[k].Client, targets[k].Repository, blob, prepared[k].Result!, cancellationToken);
            }

            sends.SetResult(result);
            return;
        }

        try
        {
            await transfers.WaitAsync(() => _demand.GetValueOrDefault(blob.Digest), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            foreach (var k in uploading)
            {
                await targets[k].Client.Uploads.CancelAsync(targets[k].Repository.Repository, prepared[k].Result!).ConfigureAwait(false);
                result[k] = Task.FromCanceled(ex.CancellationToken);
            }

            sends.SetResult(result);
            return;
        }

        run.Stats.InFlight(+1);
        var fan = new BlobFanOut(blob.Size, OpenSource(run.Stats, source, sourceRepository, blob), uploading.Count, Stall, time);
        for (var b = 0; b < uploading.Count; b++)
        {
            var k = uploading[b];
            result[k] = SendAsync(run.Stats, source, sourceRepository, targets[k], blob, prepared[k].Result!, fan.Branches[b], cancellationToken);
        }

        sends.SetResult(result);
        try
        {
            await Task.WhenAll(uploading.Select(k => result[k].ContinueWith(static _ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            await fan.CompleteAsync().ConfigureAwait(false);
            if (fan.CutLoose > 0)
            {
                ReplicatorLog.BranchesCutLoose(logger, fan.CutLoose, blob.Digest.ToString(), sourceRepository.Name, Stall);
            }
        }
        finally
        {
            run.Stats.InFlight(-1);
            transfers.Release();
        }
    }

    private async Task SendOrAloneAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, BlobTarget target, Task<Uri?> prepared, Task<Task[]> sends, int k, Descriptor blob, CancellationToken cancellationToken)
    {
        if (await prepared.ConfigureAwait(false) is null)
        {
            return;
        }

        try
        {
            await (await sends.ConfigureAwait(false))[k].ConfigureAwait(false);
        }
        catch (Exception ex) when (RetryPolicy.IsTransient(ex, cancellationToken))
        {
            // This destination failed while the others went on: it tries again alone.
            run.Stats.Retried(RetryPolicy.Reason(ex));
            ReplicatorLog.SharedUploadFailed(logger, blob.Digest.ToString(), target.Repository.Name, RetryPolicy.Describe(ex));
            await retry.RunAsync(ct => EnsureOnceAsync(run.Stats, source, sourceRepository, target.Client, target.Repository, blob, null, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One upload of a shared read: the first open reads the shared bytes; a resume reads the source alone from its offset.</summary>
    private async Task SendAsync(TransferStats stats, RegistryClient source, ImageReference sourceRepository, BlobTarget target, Descriptor blob, Uri session, BlobFanOut.Branch branch, CancellationToken cancellationToken)
    {
        var open = OpenSource(stats, source, sourceRepository, blob);
        try
        {
            var resumes = await target.Client.Uploads.UploadAsync(
                target.Repository.Repository,
                session,
                blob,
                (offset, ct) =>
                {
                    if (offset == 0 && !branch.Taken)
                    {
                        branch.Taken = true;
                        return Task.FromResult<Stream>(branch);
                    }

                    branch.Dispose();
                    return open(offset, ct);
                },
                cancellationToken).ConfigureAwait(false);
            if (resumes > 0)
            {
                ReplicatorLog.UploadResumed(logger, blob.Digest.ToString(), target.Repository.Name, resumes);
            }
        }
        catch
        {
            await target.Client.Uploads.CancelAsync(target.Repository.Repository, session).ConfigureAwait(false);
            throw;
        }
        finally
        {
            // Leaves the shared read whatever happened, so the others are not held for it.
            branch.Dispose();
        }

        stats.Copied(blob.Size);
        ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "copied", target.Repository.Name);
        await RecordAsync(target.Repository, blob, cancellationToken).ConfigureAwait(false);
    }

    private static Func<long, CancellationToken, Task<Stream>> OpenSource(TransferStats stats, RegistryClient source, ImageReference sourceRepository, Descriptor blob) =>
        async (offset, ct) => new CountingStream(await source.Blobs.OpenAsync(sourceRepository.Repository, blob, ct, offset).ConfigureAwait(false), stats);

    private async Task EnsureOnceAsync(TransferStats stats, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, string? hint, CancellationToken cancellationToken)
    {
        if (await _preparer.PrepareAsync(stats, destination, destinationRepository, blob, hint, cancellationToken).ConfigureAwait(false) is { } session)
        {
            await UploadAsync(stats, source, sourceRepository, destination, destinationRepository, blob, session, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task UploadAsync(TransferStats stats, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, Uri session, CancellationToken cancellationToken)
    {
        // The slot is taken before the source is asked: an open download is a stream too, and the
        // slots bound how many there are (connections, buffers) whatever the number of images.
        var target = destinationRepository.Repository;
        await transfers.WaitAsync(() => _demand.GetValueOrDefault(blob.Digest), cancellationToken).ConfigureAwait(false);
        stats.InFlight(+1);
        try
        {
            var resumes = await destination.Uploads.UploadAsync(
                target,
                session,
                blob,
                OpenSource(stats, source, sourceRepository, blob),
                cancellationToken).ConfigureAwait(false);
            if (resumes > 0)
            {
                ReplicatorLog.UploadResumed(logger, blob.Digest.ToString(), destinationRepository.Name, resumes);
            }
        }
        catch
        {
            await destination.Uploads.CancelAsync(target, session).ConfigureAwait(false);
            throw;
        }
        finally
        {
            stats.InFlight(-1);
            transfers.Release();
        }

        stats.Copied(blob.Size);
        ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "copied", destinationRepository.Name);
        await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
    }

    private Task RecordAsync(ImageReference repository, Descriptor blob, CancellationToken cancellationToken) =>
        records?.RecordBlobAsync(repository.Registry, repository.Repository, blob.Digest, blob.Size, cancellationToken) ?? Task.CompletedTask;
}
