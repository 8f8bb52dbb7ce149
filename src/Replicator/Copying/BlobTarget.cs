using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>A destination repository a blob is to be in, with the client of its registry.</summary>
internal sealed record BlobTarget(RegistryClient Client, ImageReference Repository);
