using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// A rule whose source is a pattern (<c>host/team/**</c>): the repositories it takes are found in
/// the source registry's catalog, filtered by <see cref="Repositories"/>, and each becomes a
/// <see cref="SyncRule"/> whose destinations are the <see cref="Templates"/> expanded for it.
/// </summary>
public sealed record PatternRule
{
    /// <summary>How the configuration names the rule (<c>rules[2] (host/team/**)</c>), for messages.</summary>
    public required string Key { get; init; }

    public required RepositoryPattern Pattern { get; init; }

    public RepositoryFilter Repositories { get; init; } = RepositoryFilter.All;

    public required IReadOnlyList<DestinationTemplate> Templates { get; init; }

    public TagSelector Tags { get; init; } = TagSelector.All;

    public IReadOnlyList<TagPattern> ImmutableTags { get; init; } = [];

    public bool Overwrite { get; init; } = true;

    public PlatformFilter Platforms { get; init; } = PlatformFilter.None;

    public bool Referrers { get; init; } = true;

    public IReadOnlyList<string> ArtifactTypes { get; init; } = [];

    public string Registry => Pattern.Registry;

    /// <summary>Whether the rule takes this repository of its source registry.</summary>
    public bool Takes(string repository) => Pattern.Matches(repository) && Repositories.Matches(Pattern.PathBelowPrefix(repository));

    /// <summary>
    /// The concrete rule for one repository the pattern takes; null, with why, when a template does
    /// not give a valid repository name for it.
    /// </summary>
    public SyncRule? Expand(string repository, out string? error)
    {
        var below = Pattern.PathBelowPrefix(repository);
        var destinations = new List<RuleDestination>();
        foreach (var template in Templates)
        {
            if (!template.TryExpand(repository, below, out var destination, out error)
                || !ImageReference.TryParse(destination, out var target, out error))
            {
                error = $"{Key}: {repository}: {error}";
                return null;
            }

            destinations.Add(new RuleDestination(target, []));
        }

        error = null;
        return new SyncRule
        {
            Key = $"{Key} {repository}",
            SourceText = $"{Registry}/{repository}",
            Source = ImageReference.Create(Registry, repository, null),
            Tags = Tags,
            Destinations = destinations,
            ImmutableTags = ImmutableTags,
            Overwrite = Overwrite,
            Platforms = Platforms,
            Referrers = Referrers,
            ArtifactTypes = ArtifactTypes,
        };
    }

    public override string ToString() => Key;
}
