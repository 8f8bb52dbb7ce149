using SyncGateway.Replicator.Engine;

namespace SyncGateway.Gateway.Replication;

/// <summary>What the last reconciliation found, for <c>/api/status</c>.</summary>
internal sealed class ReconcileState
{
    private readonly Lock _gate = new();
    private (DateTimeOffset At, int Synced, int InSync, int Failed, int Conflicts)? _last;

    public (DateTimeOffset At, int Synced, int InSync, int Failed, int Conflicts)? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    public void Completed(SyncSummary summary, DateTimeOffset at)
    {
        lock (_gate)
        {
            _last = (at, summary.Synced, summary.AlreadyInSync, summary.Failed.Count() + summary.PlanFailures.Count, summary.Conflicts.Count());
        }
    }
}
