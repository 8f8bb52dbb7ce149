using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// The destination tag exists with another digest and the rule does not overwrite
/// (<c>overwrite: false</c>): the destination's tag is left alone.
/// </summary>
public sealed class TagConflictException(ImageReference destination, Digest sourceDigest, Digest destinationDigest)
    : Exception($"{destination} is at {destinationDigest}, the source at {sourceDigest}; left alone (overwrite is off)")
{
    public Digest SourceDigest { get; } = sourceDigest;

    public Digest DestinationDigest { get; } = destinationDigest;
}
