using SyncGateway.Registry.Transport;

namespace SyncGateway.Replicator.Configuration;

/// <summary>Everything a run needs, whichever file format it came from.</summary>
public sealed record SyncConfiguration
{
    /// <summary>Connection settings by host (or host/namespace prefix).</summary>
    public required IReadOnlyList<RegistryEndpoint> Registries { get; init; }

    public required IReadOnlyList<SyncRule> Rules { get; init; }

    /// <summary>Rules whose source is a pattern: their repositories are discovered through the source's catalog.</summary>
    public IReadOnlyList<PatternRule> PatternRules { get; init; } = [];

    public ReplicatorSettings Replicator { get; init; } = new();

    public GatewaySettings? Gateway { get; init; }

    /// <summary>
    /// A repository of every registry the rules name, sources and destinations (a pattern's fixed
    /// prefix, a template's registry), as <c>(registry, repository)</c>; repeats are left in.
    /// </summary>
    public IEnumerable<(string Registry, string Repository)> NamedRepositories() =>
        Rules.SelectMany(r => r.Destinations.Select(d => d.Repository).Prepend(r.Source)).Select(r => (r.Registry, r.Repository))
            .Concat(PatternRules.Select(p => (p.Pattern.Registry, p.Pattern.FixedPrefix)))
            .Concat(PatternRules.SelectMany(p => p.Templates).Select(t => (t.Registry, string.Empty)));
}
