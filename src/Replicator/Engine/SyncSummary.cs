using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Engine;

/// <summary>
/// The end of a run: how many tasks ended each way, the results kept (every failure and conflict;
/// the successes too unless the run was told not to keep them, so memory does not grow with
/// thousands of images in sync), the rules that could not be planned, and the bytes moved.
/// </summary>
public sealed record SyncSummary(IReadOnlyList<TaskResult> Results, IReadOnlyList<PlanFailure> PlanFailures, TransferStats Stats, TimeSpan Duration)
{
    /// <summary>Tasks by how they ended; when not given, counted from <see cref="Results"/>.</summary>
    public IReadOnlyDictionary<SyncStatus, int>? Counts { get; init; }

    /// <summary>Every image of the run, kept or not.</summary>
    public int Images => Enum.GetValues<SyncStatus>().Sum(Count);

    /// <summary>How many repositories each pattern rule matched, by rule key.</summary>
    public IReadOnlyDictionary<string, int> PatternMatches { get; init; } = new Dictionary<string, int>();

    public int Synced => Count(SyncStatus.Synced);

    public int AlreadyInSync => Count(SyncStatus.AlreadyInSync);

    public IEnumerable<TaskResult> Failed => Results.Where(r => r.Status == SyncStatus.Failed);

    /// <summary>Destination tags left alone because they have another digest and the rule does not overwrite.</summary>
    public IEnumerable<TaskResult> Conflicts => Results.Where(r => r.Status == SyncStatus.Conflict);

    /// <summary>0 when everything is at its destination, 1 when any image or rule failed or conflicted.</summary>
    public int ExitCode => PlanFailures.Count == 0 && Count(SyncStatus.Failed) == 0 && Count(SyncStatus.Conflict) == 0 ? 0 : 1;

    public int Count(SyncStatus status) => Counts is { } counts ? counts.GetValueOrDefault(status) : Results.Count(r => r.Status == status);
}
