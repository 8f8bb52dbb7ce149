using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Makes sure a destination repository holds a blob, with as few requests as the registry allows.
/// One POST asks for a mount: from another repository of the same registry when the records know
/// the blob there, else from the destination repository itself, which answers 201 when the blob
/// is already there (a skip) and otherwise opens the upload session the blob then streams into,
/// verified on the way. A registry that answers a mount with a session is asked with HEAD
/// requests whether the blob is where the records say and whether it is in the target already;
/// the records are corrected only when a HEAD says the blob is gone, and a registry that turns
/// out to ignore mounts is asked with a HEAD first from then on.
/// One blob is transferred once at a time per destination registry: an image that needs a blob
/// another image is already sending waits for it, then mounts or skips it. There is one of these
/// per process, so that holds for every caller at once, and <paramref name="transfers"/> bounds the
/// streams of all of them.
/// </summary>
internal sealed class BlobCopier(RecordStore? records, SemaphoreSlim transfers, BlobTransfers inflight, Retrier retry, ILogger logger)
{
    private const int MaxWaits = 8;

    // What each destination registry has shown of cross-repository mounts, learnt as they answer.
    private readonly ConcurrentDictionary<string, MountSupport> _mounts = new(StringComparer.OrdinalIgnoreCase);

    private enum MountSupport
    {
        Unknown,
        Honoured,
        Ignored,
    }

    public async Task EnsureAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
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
                await retry.RunAsync(ct => EnsureOnceAsync(run.Stats, source, sourceRepository, destination, destinationRepository, blob, ct), run.Stats, cancellationToken).ConfigureAwait(false);
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

    private async Task EnsureOnceAsync(TransferStats stats, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
    {
        var registry = destinationRepository.Registry;
        var target = destinationRepository.Repository;
        var known = records is null
            ? null
            : await records.FindBlobRepositoryAsync(registry, blob.Digest, target, cancellationToken).ConfigureAwait(false);
        var elsewhere = known is null || known == target ? null : known;
        var mounts = _mounts.GetValueOrDefault(registry, MountSupport.Unknown);

        UploadStart start;
        if (mounts == MountSupport.Ignored)
        {
            // The registry opens a session whatever the mount says: ask whether the blob is there, then upload.
            if (await destination.Blobs.ExistsAsync(target, blob.Digest, cancellationToken).ConfigureAwait(false))
            {
                await PresentAsync(stats, destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                return;
            }

            start = await destination.Uploads.StartAsync(target, null, null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            start = await StartAsync(destination, target, blob.Digest, elsewhere ?? target, cancellationToken).ConfigureAwait(false);
            if (start.Mounted)
            {
                _mounts[registry] = MountSupport.Honoured;
                if (elsewhere is null)
                {
                    await PresentAsync(stats, destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                    return;
                }

                stats.Mounted(blob.Size);
                ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "mounted from " + elsewhere, destinationRepository.Name);
                await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (mounts == MountSupport.Unknown && await MountIgnoredAsync(destination, destinationRepository, elsewhere, known, blob, start, stats, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        await UploadAsync(stats, source, sourceRepository, destination, destinationRepository, blob, start.Location!, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A mount answered with a session, on a registry not yet known to honour mounts: either the
    /// blob is not where the mount said, or the registry ignores mounts (Quay, ECR without blob
    /// mounting). HEAD requests tell which, and nothing is forgotten or uploaded on a guess.
    /// Returns true when the blob turned out to be in the target repository already.
    /// </summary>
    private async Task<bool> MountIgnoredAsync(RegistryClient destination, ImageReference destinationRepository, string? elsewhere, string? known, Descriptor blob, UploadStart start, TransferStats stats, CancellationToken cancellationToken)
    {
        var registry = destinationRepository.Registry;
        if (elsewhere is not null)
        {
            if (await destination.Blobs.ExistsAsync(elsewhere, blob.Digest, cancellationToken).ConfigureAwait(false))
            {
                MountsIgnored(registry);
            }
            else
            {
                ReplicatorLog.RecordContradicted(logger, blob.Digest.ToString(), $"{registry}/{elsewhere}");
                await records!.ForgetBlobAsync(registry, elsewhere, blob.Digest, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!await destination.Blobs.ExistsAsync(destinationRepository.Repository, blob.Digest, cancellationToken).ConfigureAwait(false))
        {
            if (known == destinationRepository.Repository)
            {
                ReplicatorLog.RecordContradicted(logger, blob.Digest.ToString(), destinationRepository.Name);
                await records!.ForgetBlobAsync(registry, known, blob.Digest, cancellationToken).ConfigureAwait(false);
            }

            return false;
        }

        // There already, though the registry opened a session: it does not honour mounts.
        MountsIgnored(registry);

        await destination.Uploads.CancelAsync(destinationRepository.Repository, start.Location!).ConfigureAwait(false);
        await PresentAsync(stats, destinationRepository, blob, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Learns that a registry ignores mounts, unless one of its mounts already worked; says so once.</summary>
    private void MountsIgnored(string registry)
    {
        if (_mounts.TryAdd(registry, MountSupport.Ignored) || _mounts.TryUpdate(registry, MountSupport.Ignored, MountSupport.Unknown))
        {
            ReplicatorLog.MountsIgnored(logger, registry);
        }
    }

    private async Task UploadAsync(TransferStats stats, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, Uri session, CancellationToken cancellationToken)
    {
        // The slot is taken before the source is asked: an open download is a stream too, and the
        // slots bound how many there are (connections, buffers) whatever the number of images.
        var target = destinationRepository.Repository;
        await transfers.WaitAsync(cancellationToken).ConfigureAwait(false);
        stats.InFlight(+1);
        try
        {
            var resumes = await destination.Uploads.UploadAsync(
                target,
                session,
                blob,
                async (offset, ct) => new CountingStream(await source.Blobs.OpenAsync(sourceRepository.Repository, blob, ct, offset).ConfigureAwait(false), stats),
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

    private async Task PresentAsync(TransferStats stats, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
    {
        stats.Skipped(blob.Size);
        ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "already present", destinationRepository.Name);
        await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A mount request; a registry that rejects the mount parameters outright gets a plain upload request.</summary>
    private static async Task<UploadStart> StartAsync(RegistryClient destination, string repository, Digest digest, string from, CancellationToken cancellationToken)
    {
        try
        {
            return await destination.Uploads.StartAsync(repository, digest, from, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex) when (ex.Status is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            return await destination.Uploads.StartAsync(repository, null, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task RecordAsync(ImageReference repository, Descriptor blob, CancellationToken cancellationToken) =>
        records?.RecordBlobAsync(repository.Registry, repository.Repository, blob.Digest, blob.Size, cancellationToken) ?? Task.CompletedTask;
}
