namespace SyncGateway.Replicator.Telemetry;

/// <summary>Why a unit of work is retried.</summary>
public enum RetryReason
{
    RateLimited,
    TokenExpired,
    ServerError,
    Network,
    DigestMismatch,
    Timeout,
    Other,
}
