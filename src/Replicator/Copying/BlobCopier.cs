using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;
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
/// verified on the way. A mount the registry refuses corrects the records.
/// One blob is transferred once at a time per destination registry: an image that needs a blob
/// another image is already sending waits for it, then mounts or skips it. There is one of these
/// per process, so that holds for every caller at once, and <paramref name="transfers"/> bounds the
/// streams of all of them.
/// </summary>
internal sealed class BlobCopier(RecordStore? records, SemaphoreSlim transfers, Retrier retry, ILogger logger)
{
    private const int MaxWaits = 8;
    private readonly ConcurrentDictionary<(string Registry, Digest Digest), Task> _inflight = new();

    public async Task EnsureAsync(RunContext run, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
    {
        var key = (destinationRepository.Registry, blob.Digest);
        for (var wait = 0; ; wait++)
        {
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var leader = _inflight.GetOrAdd(key, mine.Task);
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
                    _inflight.TryRemove(KeyValuePair.Create(key, mine.Task));
                }

                // Waiters only need to know the attempt is over; they ask the registry themselves.
                mine.SetResult();
            }
        }
    }

    private async Task EnsureOnceAsync(TransferStats stats, RegistryClient source, ImageReference sourceRepository, RegistryClient destination, ImageReference destinationRepository, Descriptor blob, CancellationToken cancellationToken)
    {
        var target = destinationRepository.Repository;
        var known = records is null
            ? null
            : await records.FindBlobRepositoryAsync(destinationRepository.Registry, blob.Digest, target, cancellationToken).ConfigureAwait(false);
        var elsewhere = known is null || known == target ? null : known;

        var start = await StartAsync(destination, target, blob.Digest, elsewhere ?? target, cancellationToken).ConfigureAwait(false);
        if (start.Mounted)
        {
            if (elsewhere is null)
            {
                stats.Skipped(blob.Size);
                ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "already present", destinationRepository.Name);
            }
            else
            {
                stats.Mounted(blob.Size);
                ReplicatorLog.Blob(logger, blob.Digest.ToString(), blob.Size, "mounted from " + elsewhere, destinationRepository.Name);
            }

            await RecordAsync(destinationRepository, blob, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (known is not null)
        {
            ReplicatorLog.RecordContradicted(logger, blob.Digest.ToString(), $"{destinationRepository.Registry}/{known}");
            await records!.ForgetBlobAsync(destinationRepository.Registry, known, blob.Digest, cancellationToken).ConfigureAwait(false);
        }

        var session = start.Location!;
        await transfers.WaitAsync(cancellationToken).ConfigureAwait(false);
        stats.InFlight(+1);
        try
        {
            var download = await source.OpenBlobAsync(sourceRepository.Repository, blob, cancellationToken).ConfigureAwait(false);
            await using var verifying = new VerifyingStream(new CountingStream(download, stats), blob);
            await destination.CompleteUploadAsync(target, session, blob, verifying, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await destination.CancelUploadAsync(target, session).ConfigureAwait(false);
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

    /// <summary>A mount request; a registry that rejects the mount parameters outright gets a plain upload request.</summary>
    private static async Task<UploadStart> StartAsync(RegistryClient destination, string repository, Digest digest, string from, CancellationToken cancellationToken)
    {
        try
        {
            return await destination.StartUploadAsync(repository, digest, from, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex) when (ex.Status is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            return await destination.StartUploadAsync(repository, null, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task RecordAsync(ImageReference repository, Descriptor blob, CancellationToken cancellationToken) =>
        records?.RecordBlobAsync(repository.Registry, repository.Repository, blob.Digest, blob.Size, cancellationToken) ?? Task.CompletedTask;
}
