using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Read once, write many: one blob to several targets, the source read once for all of them
/// (<see cref="BlobFanOut"/>); the single-target path and what both share are in BlobCopier.cs.
/// </summary>
internal sealed partial class BlobCopier
{
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
}
