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
internal sealed partial class BlobCopier(RecordStore? records, TransferGate transfers, BlobTransfers inflight, Retrier retry, TimeProvider time, ILogger logger)
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
