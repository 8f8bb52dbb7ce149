using System.Net;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Planning;

/// <summary>
/// Turns a pattern rule into concrete rules: the source registry's catalog, read page by page,
/// filtered by the pattern and the rule's repository filter, each taken repository with its
/// templated destinations. Two source repositories that land on one destination repository are
/// both reported and neither is copied there. A registry that refuses its catalog fails the rule
/// alone, saying what to do.
/// </summary>
internal sealed class Discovery(Retrier retry, ILogger logger)
{
    public async Task<DiscoveryResult> ExpandAsync(PatternRule pattern, RunContext run, CancellationToken cancellationToken)
    {
        var client = run.Registries.Get(pattern.Registry, pattern.Pattern.FixedPrefix);
        var taken = new List<string>();
        var failures = new List<PlanFailure>();
        try
        {
            await retry.RunAsync(
                async ct =>
                {
                    taken.Clear();
                    await foreach (var repository in client.Catalog.ListAsync(ct).ConfigureAwait(false))
                    {
                        if (pattern.Takes(repository))
                        {
                            taken.Add(repository);
                        }
                    }
                },
                run.Stats,
                cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex) when (ex.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed || ex.Code == RegistryErrorCode.Unsupported.Code)
        {
            var reason = $"{pattern.Registry} refused to list its repositories ({RetryPolicy.Describe(ex)}): a pattern source needs the catalog "
                + "(/v2/_catalog). A Harbor robot account cannot list it: use an account that can, or name the repositories as rules of their own; Docker Hub has no catalog at all";
            ReplicatorLog.PlanFailed(logger, pattern.Key, reason);
            return DiscoveryResult.Failed(new PlanFailure(pattern.Key, reason));
        }
        // Whatever goes wrong with one rule's listing fails that rule alone.
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = RetryPolicy.Describe(ex);
            ReplicatorLog.PlanFailed(logger, pattern.Key, reason);
            return DiscoveryResult.Failed(new PlanFailure(pattern.Key, reason));
        }

        // Every repository is expanded once here, to find the names that do not make a valid
        // destination and the destinations two repositories would share; what is kept is the list of
        // names, and the planner makes each rule again when it reaches it (10,000 repositories do not
        // mean 10,000 rules held for the whole run).
        var repositories = new List<string>(taken.Count);
        var hashes = new HashSet<int>();
        var twice = new HashSet<int>();
        foreach (var repository in taken)
        {
            if (!ImageReference.IsValidRepository(repository))
            {
                failures.Add(new PlanFailure(pattern.Key, $"the catalog names '{repository}', which is not a valid repository name; left out"));
                continue;
            }

            if (pattern.Expand(repository, out var error) is not { } rule)
            {
                failures.Add(new PlanFailure(pattern.Key, error!));
                continue;
            }

            repositories.Add(repository);
            foreach (var destination in rule.Destinations)
            {
                var hash = StringComparer.Ordinal.GetHashCode(destination.Repository.Name);
                if (!hashes.Add(hash))
                {
                    twice.Add(hash);
                }
            }
        }

        // Templates that flatten ({name}) can send two repositories to one place: neither goes there.
        // Names whose hash came up twice are compared in full (a shared hash alone proves nothing).
        var colliding = new HashSet<string>(StringComparer.Ordinal);
        if (twice.Count > 0)
        {
            var bySource = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var repository in repositories)
            {
                foreach (var name in pattern.Expand(repository, out _)!.Destinations.Select(d => d.Repository.Name).Where(n => twice.Contains(StringComparer.Ordinal.GetHashCode(n))))
                {
                    if (!bySource.TryGetValue(name, out var sources))
                    {
                        bySource.Add(name, sources = []);
                    }

                    sources.Add(repository);
                }
            }

            foreach (var (destination, sources) in bySource.Where(d => d.Value.Count > 1))
            {
                failures.Add(new PlanFailure(pattern.Key, $"{string.Join(" and ", sources.Select(s => $"{pattern.Registry}/{s}"))} would all go to {destination}; none of them is copied there"));
                colliding.Add(destination);
            }
        }

        return new DiscoveryResult(pattern, repositories, colliding, failures, taken.Count);
    }
}

/// <summary>
/// What a pattern rule expanded to: the repositories it takes (made into rules one at a time by
/// <see cref="Rules"/>), the destinations none of them goes to, what was left out and why, and how
/// many repositories matched.
/// </summary>
internal sealed record DiscoveryResult(PatternRule? Pattern, IReadOnlyList<string> Repositories, IReadOnlySet<string> Colliding, IReadOnlyList<PlanFailure> Failures, int Matched)
{
    public static DiscoveryResult Failed(PlanFailure failure) => new(null, [], new HashSet<string>(), [failure], 0);

    /// <summary>The concrete rules, made as they are enumerated, without the destinations two repositories share.</summary>
    public IEnumerable<SyncRule> Rules()
    {
        foreach (var repository in Repositories)
        {
            var rule = Pattern!.Expand(repository, out _)!;
            if (Colliding.Count > 0 && rule.Destinations.Any(d => Colliding.Contains(d.Repository.Name)))
            {
                rule = rule with { Destinations = rule.Destinations.Where(d => !Colliding.Contains(d.Repository.Name)).ToList() };
                if (rule.Destinations.Count == 0)
                {
                    continue;
                }
            }

            yield return rule;
        }
    }
}
