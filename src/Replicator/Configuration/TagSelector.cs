using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Which tags of a source repository a rule takes: a tag is taken when it matches any include
/// pattern (or there are none) and no exclude pattern, and, with <see cref="Semver"/>, parses as
/// a semantic version inside the range; with <see cref="Latest"/>, of the tags so selected only the
/// highest versions are kept (tags that are not semantic versions then are not).
/// </summary>
public sealed record TagSelector(IReadOnlyList<TagPattern> Include, IReadOnlyList<TagPattern> Exclude)
{
    public static readonly TagSelector All = new([], []);

    public SemverRange? Semver { get; init; }

    public int? Latest { get; init; }

    /// <summary>Whether the source's tag list must be fetched: false when the rule names exact tags only.</summary>
    public bool NeedsListing => Include.Count == 0 || Include.Any(p => p.IsRegex) || Exclude.Count > 0 || Semver is not null || Latest is not null;

    /// <summary>The exact tags a rule names, in order, when it needs no listing.</summary>
    public IReadOnlyList<string> ExactTags => Include.Select(p => p.Name).OfType<string>().ToArray();

    /// <summary>
    /// Whether one tag (an event's) is taken. <see cref="Latest"/> needs the whole list, so a tag
    /// that satisfies everything else is taken: a new push is normally the newest version.
    /// </summary>
    public bool Matches(string tag) =>
        (Include.Count == 0 || Include.Any(p => p.Matches(tag)))
        && !Exclude.Any(p => p.Matches(tag))
        && (Semver is null || Semver.Satisfies(tag))
        && (Latest is null || SemanticVersion.TryParse(tag, out _));

    /// <summary>Filters a listed set of tags: the listing's order, or, with <see cref="Latest"/>, the highest first.</summary>
    public IReadOnlyList<string> Select(IEnumerable<string> available)
    {
        var taken = available.Where(Matches);
        return Latest is { } count ? TagSelection.Latest(taken, count) : taken.ToArray();
    }

    public override string ToString()
    {
        var include = Include.Count == 0 ? "every tag" : string.Join(", ", Include);
        var text = Exclude.Count == 0 ? include : $"{include} except {string.Join(", ", Exclude)}";
        text += Semver is null ? string.Empty : $", semver {Semver}";
        return Latest is null ? text : $"{text}, the latest {Latest}";
    }
}
