namespace SyncGateway.Replicator.Telemetry;

/// <summary>How a blob came to be at a destination.</summary>
public enum BlobAction
{
    /// <summary>Streamed from the source.</summary>
    Copied,

    /// <summary>Mounted from another repository of the same registry.</summary>
    Mounted,

    /// <summary>Already there.</summary>
    Skipped,
}
