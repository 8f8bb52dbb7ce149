using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Retries;

/// <summary>
/// Retries whole idempotent units (a blob copy, a manifest push, a HEAD) with exponential backoff
/// and jitter, waiting as long as a registry's <c>Retry-After</c> asks. Only failures that a
/// repeat can cure are retried: a reset, a timeout, a 429 or 5xx, a body that did not match its
/// digest; never a 401, 403 or 404.
/// </summary>
public static class RetryPolicy
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    /// <summary>Builds the process's one pipeline; each unit's statistics travel in its context.</summary>
    internal static ResiliencePipeline Create(int retries, TimeSpan baseDelay, TimeProvider time, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = TimeSpan.FromMinutes(2),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && IsTransient(ex, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is RegistryException { RetryAfter: { } wait } ? (TimeSpan?)(wait > MaxRetryAfter ? MaxRetryAfter : wait) : null),
                OnRetry = args =>
                {
                    if (args.Context.Properties.TryGetValue(Retrier.StatsKey, out var stats))
                    {
                        stats.Retried(Reason(args.Outcome.Exception));
                    }

                    ReplicatorLog.Retrying(logger, args.AttemptNumber + 1, args.RetryDelay, Describe(args.Outcome.Exception));
                    return default;
                },
            });
        }

        return builder.Build();
    }

    public static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RegistryException registry => registry.Retryable,
        DigestMismatchException => true,
        InvalidManifestException => false,
        HttpRequestException => true,
        IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>Why a unit is retried.</summary>
    public static RetryReason Reason(Exception? exception) => exception switch
    {
        RegistryException { Status: HttpStatusCode.TooManyRequests } => RetryReason.RateLimited,
        RegistryException { Status: HttpStatusCode.Unauthorized } => RetryReason.TokenExpired,
        RegistryException { Status: >= HttpStatusCode.InternalServerError } => RetryReason.ServerError,
        RegistryException { Status: null } or HttpRequestException or IOException and not DigestMismatchException => RetryReason.Network,
        DigestMismatchException => RetryReason.DigestMismatch,
        OperationCanceledException => RetryReason.Timeout,
        _ => RetryReason.Other,
    };

    /// <summary>The reason for a failure, in words an operator can act on.</summary>
    public static string Describe(Exception? exception) => exception switch
    {
        null => "unknown",
        RegistryException { Denied: true } e => $"{e.Message} — access denied: the account may not do this to this repository",
        RegistryException { Status: HttpStatusCode.Unauthorized } e => $"{e.Message} — check the credentials for this registry",
        OperationCanceledException => "timed out",
        AggregateException aggregate => Describe(aggregate.InnerException),
        _ => exception.Message,
    };
}
