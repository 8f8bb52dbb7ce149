namespace SyncGateway.Replicator.Copying;

/// <summary>
/// Where the replicator reports what it does, for a metrics exporter; the replicator itself does
/// not know Prometheus. Label values passed here are fixed words, never names of images.
/// </summary>
public interface IReplicationMetrics
{
    /// <summary>A blob was <c>copied</c>, <c>mounted</c> or <c>skipped</c>.</summary>
    void Blob(string action, long bytes);

    /// <summary>A task ended <c>synced</c>, <c>in_sync</c> or <c>failed</c>.</summary>
    void Task(string result);

    /// <summary>A unit of work is being retried, for <paramref name="reason"/>.</summary>
    void Retry(string reason);

    /// <summary>A blob stream started (+1) or ended (-1).</summary>
    void InFlight(int change);
}
