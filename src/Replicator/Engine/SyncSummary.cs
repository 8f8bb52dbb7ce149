using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Engine;

/// <summary>The end of a run: every task's result, the rules that could not be planned, and the bytes moved.</summary>
public sealed record SyncSummary(IReadOnlyList<TaskResult> Results, IReadOnlyList<PlanFailure> PlanFailures, TransferStats Stats, TimeSpan Duration)
{
    /// <summary>How many repositories each pattern rule matched, by rule key.</summary>
    public IReadOnlyDictionary<string, int> PatternMatches { get; init; } = new Dictionary<string, int>();

    public int Synced => Results.Count(r => r.Status == SyncStatus.Synced);

    public int AlreadyInSync => Results.Count(r => r.Status == SyncStatus.AlreadyInSync);

    public IEnumerable<TaskResult> Failed => Results.Where(r => r.Status == SyncStatus.Failed);

    /// <summary>Destination tags left alone because they have another digest and the rule does not overwrite.</summary>
    public IEnumerable<TaskResult> Conflicts => Results.Where(r => r.Status == SyncStatus.Conflict);

    /// <summary>0 when everything is at its destination, 1 when any image or rule failed or conflicted.</summary>
    public int ExitCode => PlanFailures.Count == 0 && !Failed.Any() && !Conflicts.Any() ? 0 : 1;
}
