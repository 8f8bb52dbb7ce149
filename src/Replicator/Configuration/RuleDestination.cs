using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Where a rule copies to: a repository, and optionally the tags to give the source's tags there,
/// matched in order. Without tags a copy keeps the source tag.
/// </summary>
public sealed record RuleDestination(ImageReference Repository, IReadOnlyList<string> Tags)
{
    public override string ToString() => Tags.Count == 0 ? Repository.Name : $"{Repository.Name}:{string.Join(",", Tags)}";
}
