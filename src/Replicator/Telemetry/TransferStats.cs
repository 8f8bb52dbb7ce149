namespace SyncGateway.Replicator.Telemetry;

/// <summary>
/// What a run moved, counted as it happens (thread-safe), for the live display and the summary,
/// and passed on to the metrics exporter when there is one.
/// </summary>
public sealed class TransferStats(IReplicationMetrics? metrics = null)
{
    private readonly IReplicationMetrics _metrics = metrics ?? NoReplicationMetrics.Instance;
    private long _bytesStreamed;
    private long _blobsCopied;
    private long _bytesCopied;
    private long _blobsMounted;
    private long _bytesMounted;
    private long _blobsSkipped;
    private long _bytesSkipped;
    private long _manifestsPushed;
    private long _retries;
    private long _indexesRewritten;
    private long _referrersCopied;
    private long _referrersPresent;

    /// <summary>Bytes read from sources so far, including those of copies still running or later retried.</summary>
    public long BytesStreamed => Interlocked.Read(ref _bytesStreamed);

    public long BlobsCopied => Interlocked.Read(ref _blobsCopied);

    public long BytesCopied => Interlocked.Read(ref _bytesCopied);

    public long BlobsMounted => Interlocked.Read(ref _blobsMounted);

    public long BytesMounted => Interlocked.Read(ref _bytesMounted);

    public long BlobsSkipped => Interlocked.Read(ref _blobsSkipped);

    public long BytesSkipped => Interlocked.Read(ref _bytesSkipped);

    public long ManifestsPushed => Interlocked.Read(ref _manifestsPushed);

    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Indexes written anew with only a rule's platforms (their digest differs from the source's).</summary>
    public long IndexesRewritten => Interlocked.Read(ref _indexesRewritten);

    /// <summary>Signatures, SBOMs and attestations copied after their subject.</summary>
    public long ReferrersCopied => Interlocked.Read(ref _referrersCopied);

    /// <summary>Referrers found at the destination already.</summary>
    public long ReferrersPresent => Interlocked.Read(ref _referrersPresent);

    internal void Streamed(long bytes) => Interlocked.Add(ref _bytesStreamed, bytes);

    internal void Copied(long bytes)
    {
        Interlocked.Increment(ref _blobsCopied);
        Interlocked.Add(ref _bytesCopied, bytes);
        _metrics.Blob(BlobAction.Copied, bytes);
    }

    internal void Mounted(long bytes)
    {
        Interlocked.Increment(ref _blobsMounted);
        Interlocked.Add(ref _bytesMounted, bytes);
        _metrics.Blob(BlobAction.Mounted, bytes);
    }

    internal void Skipped(long bytes)
    {
        Interlocked.Increment(ref _blobsSkipped);
        Interlocked.Add(ref _bytesSkipped, bytes);
        _metrics.Blob(BlobAction.Skipped, bytes);
    }

    internal void ManifestPushed() => Interlocked.Increment(ref _manifestsPushed);

    internal void IndexRewritten()
    {
        Interlocked.Increment(ref _indexesRewritten);
        _metrics.IndexRewritten();
    }

    internal void Referrer(ReferrerAction action)
    {
        Interlocked.Increment(ref action == ReferrerAction.Copied ? ref _referrersCopied : ref _referrersPresent);
        _metrics.Referrer(action);
    }

    internal void Retried(RetryReason reason)
    {
        Interlocked.Increment(ref _retries);
        _metrics.Retry(reason);
    }

    internal void TaskEnded(TaskOutcome outcome) => _metrics.Task(outcome);

    internal void InFlight(int change) => _metrics.InFlight(change);
}
