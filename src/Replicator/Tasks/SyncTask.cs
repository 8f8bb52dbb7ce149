using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Tasks;

/// <summary>One copy: a source image (by tag or digest) to a destination image, from the rule <see cref="Rule"/>.</summary>
public sealed record SyncTask(string Rule, ImageReference Source, ImageReference Destination)
{
    /// <summary>False: a destination tag with another digest is a conflict, left alone (the rule's <c>overwrite</c>).</summary>
    public bool Overwrite { get; init; } = true;

    /// <summary>The tag never moves once released: present at the destination means done.</summary>
    public bool Immutable { get; init; }

    public override string ToString() => $"{Source} -> {Destination}";
}
