namespace SyncGateway.Replicator.Telemetry;

/// <summary>For runs without a metrics exporter (the one-shot <c>sync</c>).</summary>
public sealed class NoReplicationMetrics : IReplicationMetrics
{
    public static readonly NoReplicationMetrics Instance = new();

    public void Blob(BlobAction action, long bytes)
    {
    }

    public void Task(TaskOutcome outcome)
    {
    }

    public void Retry(RetryReason reason)
    {
    }

    public void InFlight(int change)
    {
    }
}
