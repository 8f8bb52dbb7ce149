using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Live;

/// <summary>
/// Which repository of the mirror registry holds each repository of the source: a rule whose
/// source is <c>gateway.source/R</c> and one of whose destinations is on <c>gateway.mirror</c>
/// makes that destination the mirror of R. A repository without such a rule is served from the
/// source only. A pattern rule on <c>gateway.source</c> mirrors every repository it takes.
/// </summary>
internal sealed class MirrorMap
{
    private readonly Dictionary<string, string> _mirrors = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<PatternRule> _patterns = [];
    private readonly string? _mirror;

    public MirrorMap(SyncConfiguration configuration, string source, string? mirror)
    {
        _mirror = mirror;
        if (mirror is null)
        {
            return;
        }

        _patterns = configuration.PatternRules.Where(p => string.Equals(p.Registry, source, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var rule in configuration.Rules.Where(r => r.Source.Registry == source))
        {
            var destination = rule.Destinations.FirstOrDefault(d => d.Repository.Registry == mirror);
            if (destination is not null)
            {
                _mirrors.TryAdd(rule.Source.Repository, destination.Repository.Repository);
            }
        }
    }

    public string? Find(string repository)
    {
        if (_mirrors.TryGetValue(repository, out var mirrored) || _mirror is null)
        {
            return mirrored;
        }

        foreach (var pattern in _patterns.Where(p => p.Takes(repository)))
        {
            var destination = pattern.Expand(repository, out _)?.Destinations.FirstOrDefault(d => d.Repository.Registry == _mirror);
            if (destination is not null)
            {
                return destination.Repository.Repository;
            }
        }

        return null;
    }
}
