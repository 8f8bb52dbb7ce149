using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Copying;

namespace SyncGateway.Replicator.Tasks;

/// <summary>One copy: a source image (by tag or digest) to a destination image, from the rule <see cref="Rule"/>.</summary>
public sealed record SyncTask(string Rule, ImageReference Source, ImageReference Destination)
{
    /// <summary>False: a destination tag with another digest is a conflict, left alone (the rule's <c>overwrite</c>).</summary>
    public bool Overwrite { get; init; } = true;

    /// <summary>The tag never moves once released: present at the destination means done.</summary>
    public bool Immutable { get; init; }

    /// <summary>The rule's <c>platforms</c>: only these entries of an index are copied (a new index, a new digest).</summary>
    public PlatformFilter Platforms { get; init; } = PlatformFilter.None;

    /// <summary>The rule's <c>referrers</c>: signatures, SBOMs and attestations of the image follow it.</summary>
    public bool Referrers { get; init; } = true;

    /// <summary>The rule's <c>artifactTypes</c>: only referrers of these types; empty = all.</summary>
    public IReadOnlyList<string> ArtifactTypes { get; init; } = [];

    /// <summary>
    /// The referrer tags (<c>sha256-HEX</c> and cosign's <c>.sig</c>, <c>.att</c>, <c>.sbom</c>) the
    /// source repository had when this run listed its tags, so that an image with none costs no
    /// request to find out; null when the tags were not listed (an event, exact tags): then each
    /// is asked for.
    /// </summary>
    public IReadOnlySet<string>? SourceReferrerTags { get; init; }

    public override string ToString() => $"{Source} -> {Destination}";
}
