using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// The digest now at the destination, and whether it was already there. <see cref="RewrittenFrom"/>
/// is the source index's digest when a platform filter wrote a new index in its place.
/// </summary>
public sealed record CopyResult(Digest Digest, bool AlreadyInSync)
{
    public Digest? RewrittenFrom { get; init; }
}
