using System.Globalization;
using System.Net;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Limits;

/// <summary>
/// Everything that keeps one registry's traffic inside what it allows, shared by every request to
/// it: the adaptive in-flight limit, the request rate, the bandwidth shared by every stream to or
/// from it, and pauses the registry asked for (<c>Retry-After</c> on a refusal, or a
/// <c>RateLimit-Remaining</c> of 0 with its <c>RateLimit-Reset</c>), so that requests wait before
/// they are refused rather than after.
/// </summary>
internal sealed class RegistryLimits(string host, int? maxRequests, double? requestsPerSecond, long? bandwidth, TimeProvider time, IRegistryLimitObserver? observer)
{
    private static readonly TimeSpan LongestPause = TimeSpan.FromMinutes(10);
    private readonly AdaptiveConcurrency _concurrency = new(maxRequests);
    private readonly TokenBucket? _requests = requestsPerSecond is { } rate ? new TokenBucket(rate, time) : null;
    private readonly Lock _gate = new();
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    /// <summary>Shared by every stream to or from the registry; null without a cap.</summary>
    public TokenBucket? Bandwidth { get; } = bandwidth is { } bytes ? new TokenBucket(bytes, time, Math.Max(bytes, 256 * 1024)) : null;

    public int? ConcurrencyLimit => _concurrency.Limit;


    /// <summary>Waits for the registry's pause, its request rate and a slot in flight.</summary>
    public async ValueTask<AdaptiveConcurrency.Lease> EnterAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset until;
        lock (_gate)
        {
            until = _pausedUntil;
        }

        var wait = until - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }

        if (_requests is not null)
        {
            await _requests.TakeAsync(1, cancellationToken).ConfigureAwait(false);
        }

        return await _concurrency.AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Learns from an answer: refusals shrink the limit and may pause, successes grow it back.</summary>
    public void Observe(HttpResponseMessage response, long epoch)
    {
        if (response.Headers.TryGetValues("RateLimit-Remaining", out var remainingValues)
            && double.TryParse(remainingValues.First().Split(';')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var remaining))
        {
            observer?.RemainingObserved(host, remaining);
            if (remaining <= 0 && ResetAfter(response) is { } reset)
            {
                Pause(reset, "the registry's rate limit is used up until it resets");
            }
        }

        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            if (_concurrency.Refused(epoch) is { } halved)
            {
                observer?.LimitChanged(host, halved, $"{(int)response.StatusCode} from the registry");
            }

            if (RegistryException.ReadRetryAfter(response.Headers.RetryAfter, time) is { } retryAfter)
            {
                Pause(retryAfter, $"{(int)response.StatusCode} with Retry-After");
            }
        }
        else if ((int)response.StatusCode < 500 && _concurrency.Succeeded() is { } raised)
        {
            observer?.LimitChanged(host, raised, "a window of successes");
        }
    }

    private void Pause(TimeSpan pause, string reason)
    {
        pause = pause > LongestPause ? LongestPause : pause;
        var until = time.GetUtcNow() + pause;
        lock (_gate)
        {
            if (until <= _pausedUntil)
            {
                return;
            }

            _pausedUntil = until;
        }

        observer?.Paused(host, pause, reason);
    }

    // RateLimit-Reset is seconds until the window resets (the IETF draft's form).
    private static TimeSpan? ResetAfter(HttpResponseMessage response) =>
        response.Headers.TryGetValues("RateLimit-Reset", out var values)
        && double.TryParse(values.First().Split(';')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
        && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
