using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>The digest now at the destination, and whether it was already there.</summary>
public sealed record CopyResult(Digest Digest, bool AlreadyInSync);
