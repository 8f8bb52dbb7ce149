namespace SyncGateway.Replicator.Copying;

/// <summary>How images are copied: <c>--force</c> pushes manifests again; a platform filter rewrites indexes.</summary>
public sealed record CopyOptions(bool Force, PlatformFilter Platforms);
