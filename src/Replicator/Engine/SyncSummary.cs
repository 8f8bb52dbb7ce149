using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Engine;

/// <summary>The end of a run: every task's result, the rules that could not be planned, and the bytes moved.</summary>
public sealed record SyncSummary(IReadOnlyList<TaskResult> Results, IReadOnlyList<PlanFailure> PlanFailures, TransferStats Stats, TimeSpan Duration)
{
    public int Synced => Results.Count(r => r.Status == SyncStatus.Synced);

    public int AlreadyInSync => Results.Count(r => r.Status == SyncStatus.AlreadyInSync);

    public IEnumerable<TaskResult> Failed => Results.Where(r => r.Status == SyncStatus.Failed);

    /// <summary>0 when everything is at its destination, 1 when any image or rule failed.</summary>
    public int ExitCode => PlanFailures.Count == 0 && !Failed.Any() ? 0 : 1;
}
