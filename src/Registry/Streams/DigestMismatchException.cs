using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Streams;

/// <summary>Content that did not hash to, or was not the size of, the descriptor it was read for.</summary>
public sealed class DigestMismatchException(Digest expected, string message) : IOException(message)
{
    public Digest Expected { get; } = expected;
}
