namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// Which tags of a source repository a rule takes: a tag is taken when it matches any include
/// pattern (or there are none) and no exclude pattern.
/// </summary>
public sealed record TagSelector(IReadOnlyList<TagPattern> Include, IReadOnlyList<TagPattern> Exclude)
{
    public static readonly TagSelector All = new([], []);

    /// <summary>Whether the source's tag list must be fetched: false when the rule names exact tags only.</summary>
    public bool NeedsListing => Include.Count == 0 || Include.Any(p => p.IsRegex) || Exclude.Count > 0;

    /// <summary>The exact tags a rule names, in order, when it needs no listing.</summary>
    public IReadOnlyList<string> ExactTags => Include.Select(p => p.Name).OfType<string>().ToArray();

    public bool Matches(string tag) =>
        (Include.Count == 0 || Include.Any(p => p.Matches(tag))) && !Exclude.Any(p => p.Matches(tag));

    /// <summary>Filters a listed set of tags, keeping the listing's order.</summary>
    public IReadOnlyList<string> Select(IEnumerable<string> available) => available.Where(Matches).ToArray();

    public override string ToString()
    {
        var include = Include.Count == 0 ? "every tag" : string.Join(", ", Include);
        return Exclude.Count == 0 ? include : $"{include} except {string.Join(", ", Exclude)}";
    }
}
