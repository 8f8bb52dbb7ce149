using System.Collections.Concurrent;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// The blobs being sent to each destination registry right now, one transfer per blob and
/// registry in the whole process: the replicator's copies and the gateway's fills on read both
/// take their turn here, so a blob a client pulls while the replicator copies it (or the other
/// way round) leaves the source once. A caller that finds another transfer waits for it, then
/// asks the registry (a mount, a skip, a HEAD).
/// </summary>
public sealed class BlobTransfers
{
    private readonly ConcurrentDictionary<(string Registry, Digest Digest), Task> _inflight = new();

    /// <summary>The transfer of this blob to this registry: <paramref name="mine"/> when none was running, else the running one.</summary>
    public Task Lead(string registry, Digest digest, Task mine) => _inflight.GetOrAdd((registry, digest), mine);

    /// <summary>Ends <paramref name="mine"/>'s turn (a newer transfer of the same blob is left alone).</summary>
    public void Release(string registry, Digest digest, Task mine) => _inflight.TryRemove(KeyValuePair.Create((registry, digest), mine));
}
