using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Live;

/// <summary>
/// Which repository of the mirror registry holds each repository of the source: a rule whose
/// source is <c>gateway.source/R</c> and one of whose destinations is on <c>gateway.mirror</c>
/// makes that destination the mirror of R. A repository without such a rule is served from the
/// source only.
/// </summary>
internal sealed class MirrorMap
{
    private readonly Dictionary<string, string> _mirrors = new(StringComparer.Ordinal);

    public MirrorMap(IEnumerable<SyncRule> rules, string source, string? mirror)
    {
        if (mirror is null)
        {
            return;
        }

        foreach (var rule in rules.Where(r => r.Source.Registry == source))
        {
            var destination = rule.Destinations.FirstOrDefault(d => d.Repository.Registry == mirror);
            if (destination is not null)
            {
                _mirrors.TryAdd(rule.Source.Repository, destination.Repository.Repository);
            }
        }
    }

    public string? Find(string repository) => _mirrors.GetValueOrDefault(repository);
}
