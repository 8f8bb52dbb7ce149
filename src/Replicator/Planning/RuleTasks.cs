using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Planning;

/// <summary>
/// Which copies the rules give one tag of a source repository: what the planner does for every
/// listed tag, and what an event (a push, a webhook, a read that missed) is turned into.
/// </summary>
public static class RuleTasks
{
    /// <summary>
    /// The tasks a rule gives one tag of its source repository: none when the rule does not take
    /// the tag; a destination tag list maps the rule's exact tags in order.
    /// </summary>
    public static IEnumerable<SyncTask> TasksFor(SyncRule rule, string tag)
    {
        // A pushed signature, SBOM or attestation tag is copied with its subject: the subject by digest, then its referrers.
        if (ReferrerTags.TryGetSubject(tag, out var subject))
        {
            foreach (var task in TasksForSubject(rule, subject))
            {
                yield return task;
            }

            yield break;
        }

        if (rule.Digest is not null || !rule.Tags.Matches(tag))
        {
            yield break;
        }

        var position = rule.Tags.NeedsListing ? -1 : IndexOf(rule.Tags.ExactTags, tag);
        foreach (var destination in rule.Destinations)
        {
            var targetTag = destination.Tags.Count > 0 && position >= 0 ? destination.Tags[position] : tag;
            yield return new SyncTask(rule.Key, rule.Source.WithTag(tag), destination.Repository.WithTag(targetTag))
            {
                Overwrite = rule.Overwrite,
                Immutable = rule.IsImmutable(tag),
                Platforms = rule.Platforms,
                Referrers = rule.Referrers,
                ArtifactTypes = rule.ArtifactTypes,
            };
        }
    }

    /// <summary>
    /// The tasks that copy the referrers of <paramref name="subject"/>: the subject by digest to each
    /// destination repository (in sync costs two HEADs), then what refers to it. None when the rule
    /// does not take referrers.
    /// </summary>
    public static IEnumerable<SyncTask> TasksForSubject(SyncRule rule, Digest subject) =>
        rule.Referrers ? TasksForDigest(rule, subject) : [];

    /// <summary>
    /// The tasks that copy the content named <paramref name="digest"/> (untagged) to each destination
    /// repository of the rule, and its referrers when the rule takes them.
    /// </summary>
    public static IEnumerable<SyncTask> TasksForDigest(SyncRule rule, Digest digest) =>
        rule.Destinations.Select(destination => new SyncTask(rule.Key, rule.Source.WithDigest(digest), destination.Repository.WithDigest(digest))
        {
            Overwrite = rule.Overwrite,
            Platforms = rule.Platforms,
            Referrers = rule.Referrers,
            ArtifactTypes = rule.ArtifactTypes,
        });

    /// <summary>
    /// The tasks every rule gives one tagged image of a source registry: a push, a webhook event, a
    /// read that missed. Pattern rules take it when the repository matches them.
    /// </summary>
    /// <remarks>
    /// An image named by digest (a pinned pull that missed the mirror) is copied by digest to each
    /// destination repository of the rules that take its repository: tag filters say nothing
    /// about content named without a tag, and nothing is tagged at the destination.
    /// </remarks>
    public static IReadOnlyList<SyncTask> TasksForImage(SyncConfiguration configuration, ImageReference image)
    {
        if (image.Tag is null && image.Digest is null)
        {
            return [];
        }

        var rules = configuration.Rules.Where(r => r.Source.Registry == image.Registry && r.Source.Repository == image.Repository)
            .Concat(configuration.PatternRules
                .Where(p => string.Equals(p.Registry, image.Registry, StringComparison.OrdinalIgnoreCase) && p.Takes(image.Repository))
                .Select(p => p.Expand(image.Repository, out _))
                .OfType<SyncRule>());
        // By digest: a pinned pull that missed the mirror, or a referrer event for its subject.
        return rules.SelectMany(r => image.Tag is { } tag ? TasksFor(r, tag) : TasksForDigest(r, image.Digest!.Value)).DistinctBy(t => t.Destination.ToString()).ToList();
    }

    /// <summary>
    /// A task as the rules give it now (with their overwrite and immutable settings), for work that
    /// was queued before: null when no rule gives that copy any more.
    /// </summary>
    public static SyncTask? Current(SyncConfiguration configuration, SyncTask queued) =>
        TasksForImage(configuration, queued.Source).FirstOrDefault(t => t.Destination == queued.Destination);

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
