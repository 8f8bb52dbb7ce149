using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Tasks;

/// <summary>One copy: a source image (by tag or digest) to a destination image, from the rule <see cref="Rule"/>.</summary>
public sealed record SyncTask(string Rule, ImageReference Source, ImageReference Destination)
{
    public override string ToString() => $"{Source} -> {Destination}";
}
