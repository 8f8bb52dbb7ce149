using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Polly;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Makes sure a destination repository holds a blob: skip when it does, mount when the records
/// know it in another repository of the same registry, else stream it from the source, verified
/// on the way. One blob is transferred once at a time per destination registry: an image that
/// needs a blob another image is already sending waits, then mounts or skips it.
/// </summary>
internal sealed class BlobCopier(RecordStore? records, SemaphoreSlim transfers, TransferStats stats, ResiliencePipeline retry, ILogger logger)
{
    private const int MaxWaits = 8;
    private readonly ConcurrentDictionary<(string Registry, Digest Digest), Task> _inflight = new();

    public async Task EnsureAsync(RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
    {
        var key = (destinationRepository.Registry, blob.Digest);
        for (var wait = 0; ; wait++)
        {
            var exists = await retry.ExecuteAsync(
                async ct => await destination.BlobExistsAsync(destinationRepository.Repository, blob.Digest, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            if (exists)
            {
                stats.Skipped(blob.Size);
                ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "skipped", destinationRepository.Name);
                await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                return;
            }

            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var leader = _inflight.GetOrAdd(key, mine.Task);
            if (leader != mine.Task && wait < MaxWaits)
            {
                // Another image is sending this blob to this registry: wait for it, then look again
                // (it is now there to skip, or in the records to mount).
                await leader.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await retry.ExecuteAsync(ct => new ValueTask(TransferAsync(source, sourceRepository, destination, destinationRepository, blob, ct)), cancellationToken).ConfigureAwait(false);
                return;
            }
            finally
            {
                if (leader == mine.Task)
                {
                    _inflight.TryRemove(KeyValuePair.Create(key, mine.Task));
                }

                // Waiters only need to know the attempt is over; they check the registry themselves.
                mine.SetResult();
            }
        }
    }

    private async Task TransferAsync(RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
    {
        Uri? session = null;
        if (records is not null)
        {
            var candidates = await records.FindBlobRepositoriesAsync(destinationRepository.Registry, blob.Digest, destinationRepository.Repository, cancellationToken).ConfigureAwait(false);
            foreach (var candidate in candidates)
            {
                var start = await destination.StartUploadAsync(destinationRepository.Repository, blob.Digest, candidate, cancellationToken).ConfigureAwait(false);
                if (start.Mounted)
                {
                    stats.Mounted(blob.Size);
                    ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "mounted from " + candidate, destinationRepository.Name);
                    await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
                    return;
                }

                // The registry does not have it there after all: correct the records and use the
                // upload session it opened instead.
                ReplicatorLog.RecordContradicted(logger, blob.Digest.ToString(), $"{destinationRepository.Registry}/{candidate}");
                await records.ForgetBlobAsync(destinationRepository.Registry, candidate, blob.Digest, cancellationToken).ConfigureAwait(false);
                session = start.Location;
                break;
            }
        }

        session ??= (await destination.StartUploadAsync(destinationRepository.Repository, null, null, cancellationToken).ConfigureAwait(false)).Location!;

        await transfers.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var download = await source.OpenBlobAsync(sourceRepository.Repository, blob, cancellationToken).ConfigureAwait(false);
            await using var verifying = new VerifyingStream(new CountingStream(download, stats), blob);
            await destination.CompleteUploadAsync(destinationRepository.Repository, session, blob, verifying, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await destination.CancelUploadAsync(destinationRepository.Repository, session).ConfigureAwait(false);
            throw;
        }
        finally
        {
            transfers.Release();
        }

        stats.Copied(blob.Size);
        ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "copied", destinationRepository.Name);
        await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
    }

    private Task RecordAsync(ImageReference repository, Descriptor blob, CancellationToken cancellationToken) =>
        records?.RecordBlobAsync(repository.Registry, repository.Repository, blob.Digest, blob.Size, cancellationToken) ?? Task.CompletedTask;
}
