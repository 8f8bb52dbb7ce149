using Microsoft.Extensions.Logging;
using Polly;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Errors;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Copying;

namespace SyncGateway.Replicator.Planning;

/// <summary>
/// Expands rules into tasks: lists a source's tags (every page) when the rule needs it, filters
/// them, and pairs each with its destinations. A rule whose source cannot be listed fails alone.
/// </summary>
internal sealed class Planner(RegistryClientPool registries, ResiliencePipeline retry, ILogger logger)
{
    public async Task<Plan> PlanAsync(IReadOnlyList<SyncRule> rules, int concurrency, CancellationToken cancellationToken)
    {
        var perRule = new (List<SyncTask>? Tasks, PlanFailure? Failure)[rules.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, rules.Count),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, ct) => perRule[i] = await ExpandAsync(rules[i], ct).ConfigureAwait(false)).ConfigureAwait(false);

        var tasks = new List<SyncTask>();
        var failures = new List<PlanFailure>();
        var seen = new Dictionary<string, SyncTask>(StringComparer.Ordinal);
        foreach (var (ruleTasks, failure) in perRule)
        {
            if (failure is not null)
            {
                failures.Add(failure);
                continue;
            }

            foreach (var task in ruleTasks!)
            {
                var destination = task.Destination.ToString();
                if (seen.TryGetValue(destination, out var earlier))
                {
                    if (earlier.Source != task.Source)
                    {
                        failures.Add(new PlanFailure(task.Rule, $"{task.Source} and {earlier.Source} (from {earlier.Rule}) both go to {destination}; keeping the first"));
                    }

                    continue;
                }

                seen.Add(destination, task);
                tasks.Add(task);
            }
        }

        return new Plan(tasks, failures);
    }

    private async Task<(List<SyncTask>?, PlanFailure?)> ExpandAsync(SyncRule rule, CancellationToken cancellationToken)
    {
        var tasks = new List<SyncTask>();
        if (rule.Digest is { } digest)
        {
            var source = rule.Source.WithDigest(digest);
            foreach (var destination in rule.Destinations)
            {
                var target = destination.Tags.Count == 1 ? destination.Repository.WithTag(destination.Tags[0]) : destination.Repository.WithDigest(digest);
                tasks.Add(new SyncTask(rule.Key, source, target));
            }

            return (tasks, null);
        }

        IReadOnlyList<string> tags;
        if (rule.Tags.NeedsListing)
        {
            try
            {
                var client = registries.Get(rule.Source.Registry, rule.Source.Repository);
                var listed = await retry.ExecuteAsync(
                    async ct => await client.ListTagsAsync(rule.Source.Repository, ct).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
                tags = rule.Tags.Select(listed);
            }
            catch (Exception ex) when (ex is RegistryException or HttpRequestException or IOException or System.Text.Json.JsonException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var reason = ex is RegistryException { IsNotFound: true }
                    ? $"the source repository {rule.Source.Name} does not exist ({RetryPolicy.Describe(ex)})"
                    : RetryPolicy.Describe(ex);
                ReplicatorLog.PlanFailed(logger, rule.Key, reason);
                return (null, new PlanFailure(rule.Key, reason));
            }

            if (tags.Count == 0)
            {
                ReplicatorLog.NoTags(logger, rule.Key);
            }
        }
        else
        {
            tags = rule.Tags.ExactTags;
        }

        tasks.AddRange(tags.SelectMany(tag => TasksFor(rule, tag)));
        return (tasks, null);
    }

    /// <summary>
    /// The tasks a rule gives one tag of its source repository: none when the rule does not take
    /// the tag; a destination tag list maps the rule's exact tags in order.
    /// </summary>
    public static IEnumerable<SyncTask> TasksFor(SyncRule rule, string tag)
    {
        if (rule.Digest is not null || !rule.Tags.Matches(tag))
        {
            yield break;
        }

        var position = rule.Tags.NeedsListing ? -1 : IndexOf(rule.Tags.ExactTags, tag);
        foreach (var destination in rule.Destinations)
        {
            var targetTag = destination.Tags.Count > 0 && position >= 0 ? destination.Tags[position] : tag;
            yield return new SyncTask(rule.Key, rule.Source.WithTag(tag), destination.Repository.WithTag(targetTag));
        }
    }

    /// <summary>The tasks every rule gives one tagged image of a source registry: a push, a webhook event, a read that missed.</summary>
    public static IReadOnlyList<SyncTask> TasksForImage(IEnumerable<SyncRule> rules, Registry.Protocol.ImageReference image) =>
        image.Tag is not { } tag
            ? []
            : rules.Where(r => r.Source.Registry == image.Registry && r.Source.Repository == image.Repository)
                .SelectMany(r => TasksFor(r, tag))
                .DistinctBy(t => t.Destination.ToString())
                .ToList();

    private static int IndexOf(IReadOnlyList<string> tags, string tag)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (tags[i] == tag)
            {
                return i;
            }
        }

        return -1;
    }
}
