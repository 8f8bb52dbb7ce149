using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Everything before a blob's bytes, with as few requests as the registry allows. One POST asks
/// for a mount: from another repository of the same registry when the records know the blob there
/// (or the caller has just given it one), else from the destination repository itself, which
/// answers 201 when the blob is already there (a skip) and otherwise opens the upload session the
/// blob then streams into. A registry that answers a mount with a session is asked with HEAD
/// requests whether the blob is where the records say and whether it is in the target already;
/// the records are corrected only when a HEAD says the blob is gone, and a registry that turns out
/// to ignore mounts is asked with a HEAD first from then on. One per process (inside the
/// <see cref="BlobCopier"/>), so what a registry has shown of mounts is learnt once.
/// </summary>
internal sealed class BlobPreparer(RecordStore? records, ILogger logger)
{
    // What each destination registry has shown of cross-repository mounts, learnt as they answer.
    private readonly ConcurrentDictionary<string, MountSupport> _mounts = new(StringComparer.OrdinalIgnoreCase);

    private enum MountSupport
    {
        Unknown,
        Honoured,
        Ignored,
    }

    /// <summary>
    /// Everything before the bytes: a mount, a skip, or the upload session the blob is to stream
    /// into (null when the blob is in the target repository now). <paramref name="hint"/> is a
    /// repository of the same registry that was just given the blob, for when the records do not know.
    /// </summary>
    public async Task<Uri?> PrepareAsync(TransferStats stats, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, string? hint, CancellationToken cancellationToken)
    {
        var registry = destinationRepository.Registry;
        var target = destinationRepository.Repository;
        var known = records is null
            ? null
            : await records.FindBlobRepositoryAsync(registry, blob.Digest, target, cancellationToken).ConfigureAwait(false);
        var elsewhere = known is null || known == target ? hint : known;
        var mounts = _mounts.GetValueOrDefault(registry, MountSupport.Unknown);

        UploadStart start;
        if (mounts == MountSupport.Ignored)
        {
            // The registry opens a session whatever the mount says: ask whether the blob is there, then upload.
            if (await destination.Blobs.ExistsAsync(target, blob.Digest, cancellationToken).ConfigureAwait(false))
            {
                await PresentAsync(stats, destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                return null;
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
                    return null;
                }

                stats.Mounted(blob.Size);
                ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "mounted from " + elsewhere, destinationRepository.Name);
                await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                return null;
            }

            if (mounts == MountSupport.Unknown && await MountIgnoredAsync(destination, destinationRepository, elsewhere, known, blob, start, stats, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }

        return start.Location!;
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
            else if (elsewhere == known)
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
