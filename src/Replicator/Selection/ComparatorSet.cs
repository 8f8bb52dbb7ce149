namespace SyncGateway.Replicator.Selection;

/// <summary>
/// One <c>||</c> alternative of a <see cref="SemverRange"/>: comparators that must all hold, and
/// the MAJOR.MINOR.PATCH of every version written in it with a prerelease (npm's rule: only
/// prereleases of those may satisfy the alternative, unless the range includes prereleases).
/// </summary>
internal sealed record ComparatorSet(IReadOnlyList<VersionInterval> Comparators, IReadOnlyList<SemanticVersion> PrereleaseCores)
{
    public bool Satisfies(SemanticVersion version, bool includePrerelease) =>
        Comparators.All(c => c.Contains(version))
        && (!version.IsPrerelease || includePrerelease || PrereleaseCores.Any(version.HasSameCore));

    public override string ToString() => string.Join(' ', Comparators);
}
