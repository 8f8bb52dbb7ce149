namespace SyncGateway.Replicator.Telemetry;

/// <summary>The fixed words the contracts are exported as (metrics labels, log fields).</summary>
public static class TelemetryLabels
{
    public static string Label(this BlobAction action) => action switch
    {
        BlobAction.Copied => "copied",
        BlobAction.Mounted => "mounted",
        _ => "skipped",
    };

    public static string Label(this TaskOutcome outcome) => outcome switch
    {
        TaskOutcome.Synced => "synced",
        TaskOutcome.InSync => "in_sync",
        TaskOutcome.Conflict => "conflict",
        _ => "failed",
    };

    public static string Label(this RetryReason reason) => reason switch
    {
        RetryReason.RateLimited => "rate_limited",
        RetryReason.TokenExpired => "token_expired",
        RetryReason.ServerError => "server_error",
        RetryReason.Network => "network",
        RetryReason.DigestMismatch => "digest_mismatch",
        RetryReason.Timeout => "timeout",
        _ => "other",
    };

    public static string Label(this ReferrerAction action) => action == ReferrerAction.Copied ? "copied" : "present";
}
