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

    public async Task<CopyResult> CopyAsync(SyncTask task, RunContext run, CancellationToken cancellationToken)
    {
        var source = run.Registries.Get(task.Source.Registry, task.Source.Repository);
        var destination = run.Registries.Get(task.Destination.Registry, task.Destination.Repository);

        // A rule's platforms win over the run's --os/--arch.
        var platforms = task.Platforms.IsEmpty ? options.Platforms : task.Platforms;

        // A release tag that never moves and that the records say was replicated costs nothing.
        if (task.Immutable && !options.Force && records is not null
            && await records.FindTagAsync(task.Destination, cancellationToken).ConfigureAwait(false) is { } recorded)
        {
            return new CopyResult(recorded, AlreadyInSync: true);
        }

        // The destination first: when it lacks the tag, the source manifest is needed anyway and
        // one GET replaces a HEAD and a GET. When it has the tag, a HEAD at the source decides
        // (or, for an immutable tag, nothing more: present means done).
        var existing = options.Force && task.Overwrite
            ? null
            : await retry.RunAsync(ct => destination.Manifests.HeadAsync(task.Destination.Repository, task.Destination.Reference, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        if (existing is not null && task.Immutable && !options.Force)
        {
            return await AlreadyInSync(task, existing.Digest, cancellationToken).ConfigureAwait(false);
        }

        string reference = task.Source.Reference;
        if (existing is not null)
        {
            var head = await retry.RunAsync(ct => source.Manifests.HeadAsync(task.Source.Repository, task.Source.Reference, ct), run.Stats, cancellationToken).ConfigureAwait(false)
                ?? throw new SourceImageGoneException($"{task.Source} does not exist at the source (404 MANIFEST_UNKNOWN)");
            if (head.Digest == existing.Digest && platforms.IsEmpty && !options.Force)
            {
                return await AlreadyInSync(task, head.Digest, cancellationToken).ConfigureAwait(false);
            }

            if (!task.Overwrite && head.Digest != existing.Digest && platforms.IsEmpty)
            {
                throw new TagConflictException(task.Destination, head.Digest, existing.Digest);
            }

            reference = head.Digest.ToString();
        }

        Manifest manifest;
        try
        {
            manifest = await retry.RunAsync(ct => source.Manifests.GetAsync(task.Source.Repository, reference, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex) when (ex.IsNotFound)
        {
            throw new SourceImageGoneException($"{task.Source} does not exist at the source ({ex.Message})", ex);
        }

        Digest? rewrittenFrom = null;
        if (!platforms.IsEmpty && manifest.IsIndex)
        {
            var filtered = platforms.Apply(manifest);
            if (filtered.Digest != manifest.Digest)
            {
                ReplicatorLog.IndexRewritten(logger, task.Source.ToString(), manifest.Digest.ToString(), filtered.Digest.ToString());
                rewrittenFrom = manifest.Digest;
                manifest = filtered;
            }

            if (existing?.Digest == manifest.Digest)
            {
                return await AlreadyInSync(task, manifest.Digest, cancellationToken).ConfigureAwait(false) with { RewrittenFrom = rewrittenFrom };
            }
        }

        await CopyContentAsync(run, source, task.Source, destination, task.Destination, manifest, 0, cancellationToken).ConfigureAwait(false);
        await PushAsync(run, destination, task.Destination, task.Destination.Reference, manifest, cancellationToken).ConfigureAwait(false);
        if (records is not null)
        {
            await records.RecordTagAsync(task.Destination, manifest.Digest, task.Source, cancellationToken).ConfigureAwait(false);
        }

        if (rewrittenFrom is not null)
        {
            run.Stats.IndexRewritten();
        }

        return new CopyResult(manifest.Digest, AlreadyInSync: false) { RewrittenFrom = rewrittenFrom };
    }

    private async Task<CopyResult> AlreadyInSync(SyncTask task, Digest digest, CancellationToken cancellationToken)
    {
        if (records is not null)
        {
            await records.RecordTagAsync(task.Destination, digest, task.Source, cancellationToken).ConfigureAwait(false);
        }

        return new CopyResult(digest, AlreadyInSync: true);
    }

    /// <summary>Everything a manifest references: an index's children (each pushed by digest), or an image's blobs.</summary>
    private async Task CopyContentAsync(RunContext run, RegistryClient source, ImageReference sourceImage, RegistryClient destination, ImageReference destinationImage, Manifest manifest, int depth, CancellationToken cancellationToken)
    {
        if (!manifest.IsIndex)
        {
            var copies = manifest.Blobs
                .DistinctBy(b => b.Digest)
                .Select(blob => blobs.EnsureAsync(run, source, sourceImage, destination, destinationImage, blob, cancellationToken));
            await Task.WhenAll(copies).ConfigureAwait(false);
            return;
        }

        if (depth >= MaxIndexDepth)
        {
            throw new InvalidManifestException($"{sourceImage}: indexes nest deeper than {MaxIndexDepth} levels");
        }

        foreach (var child in manifest.Children)
        {
            if (!options.Force)
            {
                var present = await retry.RunAsync(ct => destination.Manifests.HeadAsync(destinationImage.Repository, child.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
                if (present?.Digest == child.Digest)
                {
                    continue;
                }
            }

            var childManifest = await retry.RunAsync(ct => source.Manifests.GetAsync(sourceImage.Repository, child.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
            await CopyContentAsync(run, source, sourceImage, destination, destinationImage, childManifest, depth + 1, cancellationToken).ConfigureAwait(false);
            await PushAsync(run, destination, destinationImage, child.Digest.ToString(), childManifest, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PushAsync(RunContext run, RegistryClient destination, ImageReference image, string reference, Manifest manifest, CancellationToken cancellationToken)
    {
        await retry.RunAsync(ct => destination.Manifests.PutAsync(image.Repository, reference, manifest, ct), run.Stats, cancellationToken).ConfigureAwait(false);
        run.Stats.ManifestPushed();
    }
}
