using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Retries;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Planning;

/// <summary>
/// Expands rules into tasks: discovers the repositories of pattern rules, lists a source's tags
/// (every page) when the rule needs it, filters them, and pairs each with its destinations. A rule
/// whose source cannot be listed fails alone. A sharded planner keeps only the rules whose source
/// repository its shard owns (after discovery, so pattern rules are split by repository too).
/// </summary>
internal sealed class Planner(Retrier retry, ILogger logger, Shard shard)
{
    private static readonly IReadOnlySet<string> NoReferrerTags = new HashSet<string>(StringComparer.Ordinal);

    private readonly Discovery _discovery = new(retry, logger);

    /// <summary>The whole plan at once (a dry run, <c>verify</c>).</summary>
    public async Task<Plan> PlanAsync(SyncConfiguration configuration, RunContext run, int concurrency, CancellationToken cancellationToken)
    {
        var tasks = new List<SyncTask>();
        var outline = await StreamAsync(configuration, run, concurrency, image => { tasks.AddRange(image); return ValueTask.CompletedTask; }, cancellationToken).ConfigureAwait(false);
        return outline with { Tasks = tasks };
    }

    /// <summary>
    /// Hands the tasks to <paramref name="emit"/> as soon as their rule is expanded, in the rules'
    /// order (so a destination two rules name keeps the first rule's copy), while up to
    /// <paramref name="concurrency"/> rules ahead are being listed. Copying starts with the first
    /// image, not after the whole plan. The tasks of one source image under one rule (its
    /// destinations) are handed on together, so that whoever takes them sees them all at once: a
    /// copier that took the first destination alone would read the image again for the others.
    /// Returns the plan without its tasks: what failed, and how many repositories each pattern matched.
    /// </summary>
    public async Task<Plan> StreamAsync(SyncConfiguration configuration, RunContext run, int concurrency, Func<IReadOnlyList<SyncTask>, ValueTask> emit, CancellationToken cancellationToken)
    {
        var discovered = new DiscoveryResult[configuration.PatternRules.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, discovered.Length),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, ct) => discovered[i] = await _discovery.ExpandAsync(configuration.PatternRules[i], run, ct).ConfigureAwait(false)).ConfigureAwait(false);
        // A pattern's rules are made as the listing reaches them, not held for the whole run.
        var rules = configuration.Rules.Concat(discovered.SelectMany(d => d.Rules()));
        if (!shard.IsWhole)
        {
            var owners = new ShardMap(configuration);
            rules = rules.Where(r => owners.Owns(shard, r.Source));
        }

        var failures = new List<PlanFailure>(discovered.SelectMany(d => d.Failures));

        // The listings started, in the rules' order; at most `concurrency` of them not yet handed on.
        using var ahead = new SemaphoreSlim(concurrency, concurrency);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listings = Channel.CreateUnbounded<Task<(List<SyncTask>?, PlanFailure?)>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var starter = Task.Run(
            async () =>
            {
                try
                {
                    foreach (var rule in rules)
                    {
                        await ahead.WaitAsync(stop.Token).ConfigureAwait(false);
                        listings.Writer.TryWrite(Task.Run(() => ExpandAsync(rule, run, stop.Token)));
                    }

                    listings.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    // Stopped (the copying ended early, or the run was cancelled): the reader learns it too.
                    listings.Writer.TryComplete(ex);
                }
            },
            CancellationToken.None);

        // The destinations handed on, to keep the first rule's copy of one that two rules name. A
        // plan of one rule alone (one pattern, whose repositories never share a destination:
        // discovery left those out) needs each rule's own only while that rule is handed on, so
        // what it remembers does not grow with the images.
        var seen = new Dictionary<string, (ImageReference Source, string Rule)>(StringComparer.Ordinal);
        var oneRule = configuration.Rules.Count + configuration.PatternRules.Count == 1;
        try
        {
            await foreach (var listing in listings.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var (ruleTasks, failure) = await listing.ConfigureAwait(false);
                if (oneRule)
                {
                    seen.Clear();
                }

                // A rule's place ahead is free once its tasks are handed on, so the listing stays
                // at most that far ahead of the copying (and memory does not grow with the rules).
                ahead.Release();
                if (failure is not null)
                {
                    failures.Add(failure);
                    continue;
                }

                var images = new List<List<SyncTask>>();
                var bySource = new Dictionary<ImageReference, List<SyncTask>>();
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

                    seen.Add(destination, (task.Source, task.Rule));
                    if (!bySource.TryGetValue(task.Source, out var image))
                    {
                        bySource.Add(task.Source, image = []);
                        images.Add(image);
                    }

                    image.Add(task);
                }

                foreach (var image in images)
                {
                    await emit(image).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Whatever is still being listed (the copying stopped) is not waited for in vain, but
            // it is waited for: nothing runs on after this returns.
            await stop.CancelAsync().ConfigureAwait(false);
            await starter.ConfigureAwait(false);
            while (listings.Reader.TryRead(out var left))
            {
                await left.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        return new Plan([], failures)
        {
            PatternMatches = configuration.PatternRules.Select((p, i) => (p.Key, discovered[i].Matched)).ToDictionary(m => m.Key, m => m.Matched, StringComparer.Ordinal),
        };
    }

    private async Task<(List<SyncTask>?, PlanFailure?)> ExpandAsync(SyncRule rule, RunContext run, CancellationToken cancellationToken)
    {
        var tasks = new List<SyncTask>();
        if (rule.Digest is { } digest)
        {
            var source = rule.Source.WithDigest(digest);
            foreach (var destination in rule.Destinations)
            {
                var target = destination.Tags.Count == 1 ? destination.Repository.WithTag(destination.Tags[0]) : destination.Repository.WithDigest(digest);
                tasks.Add(new SyncTask(rule.Key, source, target) { Platforms = rule.Platforms, Referrers = rule.Referrers, ArtifactTypes = rule.ArtifactTypes });
            }

            return (tasks, null);
        }

        IReadOnlyList<string> tags;
        IReadOnlySet<string>? referrerTags = null;
        if (rule.Tags.NeedsListing)
        {
            try
            {
                var client = run.Registries.Get(rule.Source.Registry, rule.Source.Repository);
                var listed = await retry.RunAsync(ct => client.Tags.ListAsync(rule.Source.Repository, ct), run.Stats, cancellationToken).ConfigureAwait(false);

                // Signature, SBOM and attestation tags (sha256-HEX, .sig, .att, .sbom) follow their
                // subject, not the tag selection; the copies are told which exist, so that finding
                // the referrers of an image that has none costs nothing.
                var referrers = listed.Where(ReferrerTags.IsReferrerTag).ToHashSet(StringComparer.Ordinal);
                referrerTags = referrers.Count == 0 ? NoReferrerTags : referrers;
                tags = rule.Tags.Select(listed.Where(t => !referrerTags.Contains(t)).ToList());
            }
            // Whatever goes wrong with one rule's listing fails that rule alone.
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var reason = ex is RegistryException { IsNotFound: true }
                    ? $"the source repository {rule.Source.Name} does not exist ({RetryPolicy.Describe(ex)})"
                    : RetryPolicy.Describe(ex);
                ReplicatorLog.PlanFailed(logger, rule.Key, reason);
                return (null, new PlanFailure(rule, reason));
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

        tasks.AddRange(tags.SelectMany(tag => RuleTasks.TasksFor(rule, tag)).Select(t => referrerTags is null ? t : t with { SourceReferrerTags = referrerTags }));
        return (tasks, null);
    }
}
