using System.Collections.Concurrent;

namespace SyncGateway.Registry.Limits;

/// <summary>
/// The limits of every registry, once per process: a configuration reload builds new clients but
/// keeps each registry's adaptive limit, pauses and buckets (while its settings stay the same), so
/// two generations never run two limiters side by side against one registry.
/// </summary>
public sealed class RegistryLimitsBook(TimeProvider time, IRegistryLimitObserver? observer = null)
{
    private readonly ConcurrentDictionary<string, (Settings Settings, RegistryLimits Limits)> _limits = new(StringComparer.OrdinalIgnoreCase);

    internal RegistryLimits For(string host, int? maxRequests, double? requestsPerSecond, long? bandwidth)
    {
        var settings = new Settings(maxRequests, requestsPerSecond, bandwidth);
        return _limits.AddOrUpdate(
            host,
            _ => (settings, new RegistryLimits(host, maxRequests, requestsPerSecond, bandwidth, time, observer)),
            (_, existing) => existing.Settings == settings ? existing : (settings, new RegistryLimits(host, maxRequests, requestsPerSecond, bandwidth, time, observer))).Limits;
    }

    private sealed record Settings(int? MaxRequests, double? RequestsPerSecond, long? Bandwidth);
}
