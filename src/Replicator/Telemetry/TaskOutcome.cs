namespace SyncGateway.Replicator.Telemetry;

/// <summary>How one copy ended, as metrics count it.</summary>
public enum TaskOutcome
{
    Synced,
    InSync,
    Failed,
    Conflict,
}
