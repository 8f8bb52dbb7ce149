using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Copies one image. The digests are compared with HEAD requests first, so an image already in
/// sync costs two HEADs and no manifest GET (which Docker Hub counts as a pull). Otherwise index
/// children go before their index and blobs before their manifest, and every manifest is pushed
/// as the bytes the source served, so every digest is kept.
/// </summary>
internal sealed class ImageCopier(BlobCopier blobs, RecordStore? records, Retrier retry, CopyOptions options, ILogger logger)
{
    private const int MaxIndexDepth = 4;

    public Task<CopyResult> CopyAsync(SyncTask task, RunContext run, CancellationToken cancellationToken) =>
        CopyAllAsync([task], run, cancellationToken)[0];

    /// <summary>
    /// Copies one source image to every destination of <paramref name="tasks"/> (which all name the
    /// same source image): the source is asked once for its digest and once for each manifest, and
    /// each blob is read from it once for every destination that lacks it (read once, write many).
    /// Returns one result per task, in order; a destination that fails does not fail the others.
    /// </summary>
    public IReadOnlyList<Task<CopyResult>> CopyAllAsync(IReadOnlyList<SyncTask> tasks, RunContext run, CancellationToken cancellationToken)
    {
        var sourceImage = tasks[0].Source;
        if (tasks.Any(t => t.Source != sourceImage || t.Platforms.ToString() != tasks[0].Platforms.ToString()))
        {
            throw new ArgumentException("the tasks of one copy name one source image, with the same platforms", nameof(tasks));
        }

        var source = run.Registries.Get(sourceImage.Registry, sourceImage.Repository);
        var lanes = tasks.Select(t => new CopyLane(t, run.Registries.Get(t.Destination.Registry, t.Destination.Repository))).ToList();
        var head = new Lazy<Task<Descriptor?>>(() => retry.RunAsync(ct => source.Manifests.HeadAsync(sourceImage.Repository, sourceImage.Reference, ct), run.Stats, cancellationToken));
        var decided = lanes.Select(lane => lane.Run(() => DecideAsync(lane, run, head, cancellationToken))).ToList();
        var copied = CopyNeededAsync(lanes, decided, run, source, sourceImage, head, cancellationToken);
        return lanes.Select((lane, i) => ResultAsync(lane, decided[i], copied)).ToList();
    }

    private static async Task<CopyResult> ResultAsync(CopyLane lane, Task decided, Task copied)
    {
        await decided.ConfigureAwait(false);
        if (lane.Result is null)
        {
            await copied.ConfigureAwait(false);
        }

        if (lane.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return lane.Result ?? throw new InvalidOperationException($"{lane.Work} ended without a result");
    }

    /// <summary>
    /// What a destination needs, from HEAD requests only: nothing (in sync, or a conflict), or the
    /// manifest. Sets the lane's result when nothing is needed.
    /// </summary>
    private async Task DecideAsync(CopyLane lane, RunContext run, Lazy<Task<Descriptor?>> sourceHead, CancellationToken cancellationToken)
    {
        var task = lane.Work;

        // A rule's platforms win over the run's --os/--arch.
        var platforms = task.Platforms.IsEmpty ? options.Platforms : task.Platforms;

        var recorded = records is null || (options.Force && task.Overwrite)
            ? null
            : await records.FindTagAsync(task.Destination, cancellationToken).ConfigureAwait(false);

        // A release tag that never moves and that the records say was replicated costs nothing.
        if (task.Immutable && !options.Force && recorded is { } replicated)
        {
            lane.Result = new CopyResult(replicated, AlreadyInSync: true);
            return;
        }

        // The destination first: when it lacks the tag, the source manifest is needed anyway and
        // one GET replaces a HEAD and a GET. When it has the tag, a HEAD at the source decides
        // (or, for an immutable tag, nothing more: present means done). When the records say the
        // tag was given to the destination, it most likely still has it: the source is asked at
        // the same time, so an image in sync costs one round trip instead of two.
        if (recorded is not null && !task.Immutable)
        {
            // Its failure is seen by whoever needs the answer; when nobody does, it is dropped here.
            _ = sourceHead.Value.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        var existing = options.Force && task.Overwrite
            ? null
            : await retry.RunAsync(ct => lane.Destination.Manifests.HeadAsync(task.Destination.Repository, task.Destination.Reference, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        lane.Existing = existing?.Digest;
        if (existing is not null && task.Immutable && !options.Force)
        {
            lane.Result = await AlreadyInSync(task, existing.Digest, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (existing is not null)
        {
            var head = await sourceHead.Value.ConfigureAwait(false)
                ?? throw new SourceImageGoneException($"{task.Source} does not exist at the source (404 MANIFEST_UNKNOWN)");
            if (head.Digest == existing.Digest && platforms.IsEmpty && !options.Force)
            {
                lane.Result = await AlreadyInSync(task, head.Digest, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (!task.Overwrite && head.Digest != existing.Digest && platforms.IsEmpty)
            {
                throw new TagConflictException(task.Destination, head.Digest, existing.Digest);
            }
        }
    }

    /// <summary>The manifest, fetched once, and everything it references, for every destination that needs them.</summary>
    private async Task CopyNeededAsync(List<CopyLane> lanes, List<Task> decided, RunContext run, RegistryClient source, ImageReference sourceImage, Lazy<Task<Descriptor?>> sourceHead, CancellationToken cancellationToken)
    {
        await Task.WhenAll(decided.Select(d => d.ContinueWith(static _ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        var needing = lanes.Where(l => l.Live).ToList();
        if (needing.Count == 0)
        {
            return;
        }

        // The tasks of one copy share their platforms (the engine groups them so); a rule's win over the run's --os/--arch.
        var platforms = lanes[0].Work.Platforms.IsEmpty ? options.Platforms : lanes[0].Work.Platforms;

        Manifest manifest;
        try
        {
            // By digest when the source was asked for it (the destinations' decisions used it), else by tag.
            var reference = sourceHead.IsValueCreated && sourceHead.Value.IsCompletedSuccessfully && sourceHead.Value.Result is { } head ? head.Digest.ToString() : sourceImage.Reference;
            manifest = await retry.RunAsync(ct => source.Manifests.GetAsync(sourceImage.Repository, reference, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = ex is RegistryException { IsNotFound: true } ? new SourceImageGoneException($"{sourceImage} does not exist at the source ({ex.Message})", ex) : ex;
            needing.ForEach(l => l.Fail(failure));
            return;
        }

        Digest? rewrittenFrom = null;
        if (!platforms.IsEmpty && manifest.IsIndex)
        {
            var filtered = platforms.Apply(manifest);
            if (filtered.Digest != manifest.Digest)
            {
                ReplicatorLog.IndexRewritten(logger, sourceImage.ToString(), manifest.Digest.ToString(), filtered.Digest.ToString());
                rewrittenFrom = manifest.Digest;
                manifest = filtered;
            }

            foreach (var lane in needing.Where(l => l.Existing == manifest.Digest))
            {
                await lane.Run(async () => lane.Result = await AlreadyInSync(lane.Work, manifest.Digest, cancellationToken).ConfigureAwait(false) with { RewrittenFrom = rewrittenFrom }).ConfigureAwait(false);
            }

            needing = [.. needing.Where(l => l.Live)];
        }

        await CopyContentAsync(run, source, sourceImage, needing, manifest, 0, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(needing.Where(l => l.Live).Select(lane => lane.Run(async () =>
        {
            await PushAsync(run, lane.Destination, lane.Work.Destination, lane.Work.Destination.Reference, manifest, cancellationToken).ConfigureAwait(false);
            if (records is not null)
            {
                await records.RecordTagAsync(lane.Work.Destination, manifest.Digest, lane.Work.Source, cancellationToken).ConfigureAwait(false);
            }

            lane.Result = new CopyResult(manifest.Digest, AlreadyInSync: false) { RewrittenFrom = rewrittenFrom };
            if (rewrittenFrom is not null)
            {
                run.Stats.IndexRewritten();
            }
        }))).ConfigureAwait(false);
    }

    private async Task<CopyResult> AlreadyInSync(SyncTask task, Digest digest, CancellationToken cancellationToken)
    {
        if (records is not null)
        {
            await records.RecordTagAsync(task.Destination, digest, task.Source, cancellationToken).ConfigureAwait(false);
        }

        return new CopyResult(digest, AlreadyInSync: true);
    }

    /// <summary>
    /// Everything a manifest references, for each destination still live: an index's children (each
    /// pushed by digest where it is missing), or an image's blobs.
    /// </summary>
    private async Task CopyContentAsync(RunContext run, RegistryClient source, ImageReference sourceImage, List<CopyLane> lanes, Manifest manifest, int depth, CancellationToken cancellationToken)
    {
        if (!manifest.IsIndex)
        {
            using var needed = blobs.Need(manifest.Blobs);
            var copies = manifest.Blobs
                .DistinctBy(b => b.Digest)
                .SelectMany(blob =>
                {
                    var live = lanes.Where(l => l.Live).ToList();
                    var outcomes = blobs.EnsureAllAsync(run, source, sourceImage, [.. live.Select(l => new BlobTarget(l.Destination, l.Work.Destination))], blob, cancellationToken);
                    return live.Select((lane, i) => lane.Run(() => outcomes[i]));
                });
            await Task.WhenAll(copies).ConfigureAwait(false);
            return;
        }

        if (depth >= MaxIndexDepth)
        {
            lanes.ForEach(l => l.Fail(new InvalidManifestException($"{sourceImage}: indexes nest deeper than {MaxIndexDepth} levels")));
            return;
        }

        foreach (var child in manifest.Children)
        {
            var lacking = new List<CopyLane>();
            await Task.WhenAll(lanes.Where(l => l.Live).Select(lane => lane.Run(async () =>
            {
                var present = options.Force
                    ? null
                    : await retry.RunAsync(ct => lane.Destination.Manifests.HeadAsync(lane.Work.Destination.Repository, child.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
                if (present?.Digest != child.Digest)
                {
                    lock (lacking)
                    {
                        lacking.Add(lane);
                    }
                }
            }))).ConfigureAwait(false);
            if (lacking.Count == 0)
            {
                continue;
            }

            Manifest childManifest;
            try
            {
                childManifest = await retry.RunAsync(ct => source.Manifests.GetAsync(sourceImage.Repository, child.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lacking.ForEach(l => l.Fail(ex));
                continue;
            }

            await CopyContentAsync(run, source, sourceImage, lacking, childManifest, depth + 1, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(lacking.Where(l => l.Live).Select(lane => lane.Run(
                () => PushAsync(run, lane.Destination, lane.Work.Destination, child.Digest.ToString(), childManifest, cancellationToken)))).ConfigureAwait(false);
        }
    }

    private async Task PushAsync(RunContext run, RegistryClient destination, ImageReference image, string reference, Manifest manifest, CancellationToken cancellationToken)
    {
        await retry.RunAsync(ct => destination.Manifests.PutAsync(image.Repository, reference, manifest, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        run.Stats.ManifestPushed();
    }
}
