using Prometheus;

namespace SyncGateway.Gateway.Metrics;

/// <summary>
/// The gateway's metrics. Labels are of low cardinality (backend, method, status class); no
/// repository, tag, digest or URL is ever a label value. Every series exists from start-up.
/// </summary>
internal static class GatewayMetrics
{
    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"];
    private static readonly string[] Results = ["2xx", "3xx", "4xx", "5xx"];

    public static readonly Counter Requests = Prometheus.Metrics.CreateCounter(
        "syncgateway_gateway_requests_total",
        "Registry API requests answered, by the backend that answered, method and status class.",
        new CounterConfiguration { LabelNames = ["backend", "method", "result"] });

    public static readonly Counter ResponseBytes = Prometheus.Metrics.CreateCounter(
        "syncgateway_gateway_response_bytes_total",
        "Bytes of the bodies served, by the backend that served them (the declared length of each forwarded answer).",
        new CounterConfiguration { LabelNames = ["backend"] });

    public static readonly Counter StaleReads = Prometheus.Metrics.CreateCounter(
        "syncgateway_gateway_stale_reads_total",
        "Reads served from the mirror because the source could not be reached.");

    public static readonly Counter ReplicationsQueued = Prometheus.Metrics.CreateCounter(
        "syncgateway_gateway_replications_queued_total",
        "Images queued for replication by the gateway, by what caused it.",
        new CounterConfiguration { LabelNames = ["cause"] });

    public static readonly Counter BlobFills = Prometheus.Metrics.CreateCounter(
        "syncgateway_gateway_blob_fills_total",
        "Blobs the mirror lacked that the gateway read once from the source and wrote into the mirror while serving them, by outcome (filled, failed) and by how the request took part (led, joined).",
        new CounterConfiguration { LabelNames = ["result", "role"] });

    private static readonly Lazy<bool> Defaults = new(() =>
    {
        // The runtime's event counters and meters come with names that break Prometheus's own
        // conventions (promtool refuses them); the process metrics stay.
        Prometheus.Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
        {
            SuppressProcessMetrics = false,
            SuppressDebugMetrics = true,
            SuppressEventCounters = true,
            SuppressMeters = true,
        });
        return true;
    });

    public static void Initialize()
    {
        _ = Defaults.Value;
        foreach (var backend in new[] { Backend.Mirror, Backend.Source, Backend.Gateway })
        {
            foreach (var method in Methods)
            {
                foreach (var result in Results)
                {
                    Requests.WithLabels(backend.Name(), method, result);
                }
            }
        }

        ResponseBytes.WithLabels(Backend.Mirror.Name());
        ResponseBytes.WithLabels(Backend.Source.Name());
        ReplicationsQueued.WithLabels("push");
        ReplicationsQueued.WithLabels("read_miss");
        ReplicationsQueued.WithLabels("webhook");
        foreach (var result in new[] { "filled", "failed" })
        {
            BlobFills.WithLabels(result, "led");
            BlobFills.WithLabels(result, "joined");
        }
    }

    public static void Count(Backend backend, string method, int status)
    {
        var known = Array.IndexOf(Methods, method) >= 0 ? method : "other";
        Requests.WithLabels(backend.Name(), known, status switch { < 300 => "2xx", < 400 => "3xx", < 500 => "4xx", _ => "5xx" }).Inc();
    }
}
