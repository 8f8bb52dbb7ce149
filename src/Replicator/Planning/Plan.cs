using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Planning;

/// <summary>The tasks the rules expand to, and the rules that could not be expanded, with why.</summary>
public sealed record Plan(IReadOnlyList<SyncTask> Tasks, IReadOnlyList<PlanFailure> Failures)
{
    /// <summary>How many repositories each pattern rule matched in its source's catalog, by rule key.</summary>
    public IReadOnlyDictionary<string, int> PatternMatches { get; init; } = new Dictionary<string, int>();
}

/// <summary>
/// A rule that could not be turned into tasks (image-syncer's "failed to generate"), or tasks of a
/// rule that were dropped: <see cref="Rule"/> is the rule's key, <see cref="Source"/> the rule
/// itself when the whole rule failed.
/// </summary>
public sealed record PlanFailure(string Rule, string Reason)
{
    public PlanFailure(SyncRule source, string reason)
        : this(source.Key, reason)
    {
        Source = source;
    }

    public SyncRule? Source { get; }
}
