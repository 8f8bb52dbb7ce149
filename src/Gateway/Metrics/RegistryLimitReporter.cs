using Microsoft.Extensions.Logging;
using Prometheus;
using SyncGateway.Registry.Limits;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Metrics;

/// <summary>
/// What the registries' limits do, as metrics (for hosts the configuration names: never another
/// label value) and as log lines. Every series exists from start-up.
/// </summary>
internal sealed partial class RegistryLimitReporter(SyncConfiguration configuration, ILogger logger) : IRegistryLimitObserver
{
    public static readonly Gauge RateLimitRemaining = Prometheus.Metrics.CreateGauge(
        "syncgateway_registry_rate_limit_remaining", "Requests an upstream registry says are left (RateLimit-Remaining), by registry host.",
        new GaugeConfiguration { LabelNames = ["registry"] });

    public static readonly Gauge ConcurrencyLimit = Prometheus.Metrics.CreateGauge(
        "syncgateway_registry_concurrency_limit", "Requests allowed in flight to a registry now (0: no cap), halved on 429/503 and grown back on success.",
        new GaugeConfiguration { LabelNames = ["registry"] });

    public static readonly Counter Pauses = Prometheus.Metrics.CreateCounter(
        "syncgateway_registry_pauses_total", "Times requests to a registry were held back because it asked (Retry-After, RateLimit-Reset).",
        new CounterConfiguration { LabelNames = ["registry"] });

    private readonly HashSet<string> _hosts = configuration.Registries.Select(r => r.Host).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static void Initialize(SyncConfiguration configuration)
    {
        foreach (var endpoint in configuration.Registries.DistinctBy(r => r.Host))
        {
            RateLimitRemaining.WithLabels(endpoint.Host);
            ConcurrencyLimit.WithLabels(endpoint.Host).Set(endpoint.MaxRequests ?? 0);
            Pauses.WithLabels(endpoint.Host);
        }
    }

    public void LimitChanged(string host, int? limit, string reason)
    {
        if (_hosts.Contains(host))
        {
            ConcurrencyLimit.WithLabels(host).Set(limit ?? 0);
        }

        Log.LimitChanged(logger, host, limit ?? 0, reason);
    }

    public void Paused(string host, TimeSpan pause, string reason)
    {
        if (_hosts.Contains(host))
        {
            Pauses.WithLabels(host).Inc();
        }

        Log.Paused(logger, host, pause, reason);
    }

    public void RemainingObserved(string host, double remaining)
    {
        if (_hosts.Contains(host))
        {
            RateLimitRemaining.WithLabels(host).Set(remaining);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Requests in flight to {Registry} now at most {Limit} ({Reason})")]
        public static partial void LimitChanged(ILogger logger, string registry, int limit, string reason);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Holding requests to {Registry} for {Pause} ({Reason})")]
        public static partial void Paused(ILogger logger, string registry, TimeSpan pause, string reason);
    }
}
