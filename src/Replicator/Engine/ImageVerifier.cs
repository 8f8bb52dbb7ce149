using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Engine;

/// <summary>
/// Whether one destination image is what its source says (<c>verify</c>): a HEAD at each end, at
/// once, and nothing else, unless the rule's platforms (or the run's, <paramref name="platforms"/>)
/// rewrite an index: then the source index is read to know the digest the destination should hold.
/// A failure is a result, not an exception; only cancellation escapes.
/// </summary>
internal sealed class ImageVerifier(Retrier retry, PlatformFilter platforms)
{
    public async Task<VerifyResult> VerifyAsync(SyncTask task, RunContext run, CancellationToken cancellationToken)
    {
        try
        {
            var source = run.Registries.Get(task.Source.Registry, task.Source.Repository);
            var destination = run.Registries.Get(task.Destination.Registry, task.Destination.Repository);
            var atSource = retry.RunAsync(ct => source.Manifests.HeadAsync(task.Source.Repository, task.Source.Reference, ct), run.Stats, cancellationToken);
            var atDestination = retry.RunAsync(ct => destination.Manifests.HeadAsync(task.Destination.Repository, task.Destination.Reference, ct), run.Stats, cancellationToken);
            var (sourceHead, destinationHead) = (await atSource.ConfigureAwait(false), await atDestination.ConfigureAwait(false));
            if (sourceHead is null)
            {
                return new VerifyResult(task, VerifyStatus.Failed, null, destinationHead?.Digest, $"{task.Source} does not exist at the source");
            }

            // A rule's platforms write a new index: the destination is in sync when it holds that one.
            var filter = task.Platforms.IsEmpty ? platforms : task.Platforms;
            if (!filter.IsEmpty && destinationHead is not null && destinationHead.Digest != sourceHead.Digest && MediaTypes.IsIndex(sourceHead.MediaType))
            {
                var index = await retry.RunAsync(ct => source.Manifests.GetAsync(task.Source.Repository, sourceHead.Digest.ToString(), ct), run.Stats, cancellationToken).ConfigureAwait(false);
                var expected = filter.Apply(index).Digest;
                if (expected == destinationHead.Digest)
                {
                    return new VerifyResult(task, VerifyStatus.InSync, expected, destinationHead.Digest, null) { RewrittenFrom = sourceHead.Digest };
                }
            }

            var status = destinationHead is null ? VerifyStatus.Missing
                : destinationHead.Digest == sourceHead.Digest ? VerifyStatus.InSync
                : task.Overwrite ? VerifyStatus.Different
                : VerifyStatus.Conflict;
            return new VerifyResult(task, status, sourceHead.Digest, destinationHead?.Digest, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new VerifyResult(task, VerifyStatus.Failed, null, null, RetryPolicy.Describe(ex));
        }
    }
}
