namespace SyncGateway.Replicator.Copying;

/// <summary>For runs without a metrics exporter (the one-shot <c>sync</c>).</summary>
public sealed class NoReplicationMetrics : IReplicationMetrics
{
    public static readonly NoReplicationMetrics Instance = new();

    public void Blob(string action, long bytes)
    {
    }

    public void Task(string result)
    {
    }

    public void Retry(string reason)
    {
    }

    public void InFlight(int change)
    {
    }
}
