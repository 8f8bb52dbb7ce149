namespace SyncGateway.Replicator.Configuration;

/// <summary>Where an image-syncer rule with an empty destination goes: <c>--registry</c> and <c>--namespace</c>.</summary>
public sealed record SyncDefaults(string? Registry, string? Namespace);
