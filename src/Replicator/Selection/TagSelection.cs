namespace SyncGateway.Replicator.Selection;

/// <summary>Picks tags by their semantic versions (a rule's <c>semver</c> and <c>latest</c> keys).</summary>
public static class TagSelection
{
    /// <summary>
    /// The tags that parse as semantic versions (see <see cref="SemanticVersion"/>) with the
    /// <paramref name="count"/> highest precedences, highest first. Tags of equal precedence
    /// (<c>1.2.3</c> and <c>v1.2.3</c>, or differing only in build metadata) count once and are all
    /// kept, in ordinal order of the tag; so the result may hold more than <paramref name="count"/>
    /// tags. Tags that are not semantic versions are dropped, and a tag listed twice is kept once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static IReadOnlyList<string> Latest(IEnumerable<string> tags, int count)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Versions(tags)
            .GroupBy(v => v)                    // by precedence: SemanticVersion's equality
            .OrderByDescending(g => g.Key)
            .Take(count)
            .SelectMany(g => g.Select(v => v.Tag).Order(StringComparer.Ordinal))
            .ToArray();
    }

    /// <summary>
    /// The tags that parse as semantic versions and satisfy <paramref name="range"/>, in the order
    /// given; tags that are not semantic versions are dropped.
    /// </summary>
    public static IReadOnlyList<string> Satisfying(IEnumerable<string> tags, SemverRange range)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(range);
        return Versions(tags).Where(range.Satisfies).Select(v => v.Tag).ToArray();
    }

    private static IEnumerable<SemanticVersion> Versions(IEnumerable<string> tags) =>
        tags.Distinct(StringComparer.Ordinal)
            .Select(tag => SemanticVersion.TryParse(tag, out var version) ? version : null)
            .OfType<SemanticVersion>();
}
