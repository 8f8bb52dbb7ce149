using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Copying;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// One rule: a source repository, the tags (or the one digest) it takes, and its destinations.
/// <see cref="Key"/> is how the configuration names the rule (an image-syncer source string, or
/// <c>rules[2]</c>), for messages.
/// </summary>
public sealed record SyncRule
{
    public required string Key { get; init; }

    /// <summary>The source as the configuration wrote it (with image-syncer's tags or digest), for image lists.</summary>
    public string SourceText { get => field ?? Source.Name; init; }

    /// <summary>The source repository, without tag or digest.</summary>
    public required ImageReference Source { get; init; }

    public TagSelector Tags { get; init; } = TagSelector.All;

    /// <summary>A single manifest pinned by digest, instead of tags.</summary>
    public Digest? Digest { get; init; }

    public required IReadOnlyList<RuleDestination> Destinations { get; init; }

    /// <summary>Tags that never move once released: present at the destination means done, with no request to the source.</summary>
    public IReadOnlyList<TagPattern> ImmutableTags { get; init; } = [];

    /// <summary>False: a destination tag that exists with another digest is a conflict, left alone.</summary>
    public bool Overwrite { get; init; } = true;

    /// <summary>Only these platforms of an index (the index is rewritten: its digest changes); empty = the index as it is.</summary>
    public PlatformFilter Platforms { get; init; } = PlatformFilter.None;

    /// <summary>Whether signatures, SBOMs and attestations (manifests whose <c>subject</c> is a copied image) follow it.</summary>
    public bool Referrers { get; init; } = true;

    /// <summary>Only referrers of these artifact types; empty = every type.</summary>
    public IReadOnlyList<string> ArtifactTypes { get; init; } = [];

    public bool IsImmutable(string tag) => ImmutableTags.Any(p => p.Matches(tag));

    public override string ToString() => Key;
}
