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
            return new DiscoveryResult([], [new PlanFailure(pattern.Key, reason)], 0);
        }
        // Whatever goes wrong with one rule's listing fails that rule alone.
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = RetryPolicy.Describe(ex);
            ReplicatorLog.PlanFailed(logger, pattern.Key, reason);
            return new DiscoveryResult([], [new PlanFailure(pattern.Key, reason)], 0);
        }

        var rules = new List<SyncRule>();
        var bySource = new Dictionary<string, List<string>>(StringComparer.Ordinal);
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

            rules.Add(rule);
            foreach (var destination in rule.Destinations)
            {
                var name = destination.Repository.Name;
                if (!bySource.TryGetValue(name, out var sources))
                {
                    bySource.Add(name, sources = []);
                }

                sources.Add(repository);
            }
        }

        // Templates that flatten ({name}) can send two repositories to one place: neither goes there.
        var colliding = bySource.Where(d => d.Value.Count > 1).ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal);
        foreach (var (destination, sources) in colliding)
        {
            failures.Add(new PlanFailure(pattern.Key, $"{string.Join(" and ", sources.Select(s => $"{pattern.Registry}/{s}"))} would all go to {destination}; none of them is copied there"));
        }

        if (colliding.Count > 0)
        {
            rules = rules
                .Select(r => r with { Destinations = r.Destinations.Where(d => !colliding.ContainsKey(d.Repository.Name)).ToList() })
                .Where(r => r.Destinations.Count > 0)
                .ToList();
        }

        return new DiscoveryResult(rules, failures, taken.Count);
    }
}

/// <summary>What a pattern rule expanded to: the concrete rules, what was left out and why, and how many repositories matched.</summary>
internal sealed record DiscoveryResult(IReadOnlyList<SyncRule> Rules, IReadOnlyList<PlanFailure> Failures, int Matched);
