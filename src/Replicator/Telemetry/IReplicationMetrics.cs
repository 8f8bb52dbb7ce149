namespace SyncGateway.Replicator.Telemetry;

/// <summary>
/// Where the replicator reports what it does, for a metrics exporter; the replicator itself does
/// not know Prometheus. Everything passed here is a fixed word, never the name of an image.
/// </summary>
public interface IReplicationMetrics
{
    void Blob(BlobAction action, long bytes);

    void Task(TaskOutcome outcome);

    void Retry(RetryReason reason);

    /// <summary>A blob stream started (+1) or ended (-1).</summary>
    void InFlight(int change);

    /// <summary>An index was written anew with only a rule's platforms.</summary>
    void IndexRewritten()
    {
    }

    /// <summary>A referrer (signature, SBOM, attestation) was copied or found present.</summary>
    /// <param name="action">Copied or present.</param>
    void Referrer(ReferrerAction action)
    {
    }
}
