using Prometheus;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Gateway.Metrics;

/// <summary>
/// The replicator's metrics for Prometheus. Labels are fixed words or registry hosts from the
/// configuration; never a repository, tag, digest or URL. Every series exists from start-up.
/// </summary>
internal sealed class ReplicationMetrics : IReplicationMetrics
{

    public static readonly Counter Tasks = Prometheus.Metrics.CreateCounter(
        "syncgateway_replicator_tasks_total", "Replication tasks finished, by result.", new CounterConfiguration { LabelNames = ["result"] });

    public static readonly Counter Blobs = Prometheus.Metrics.CreateCounter(
        "syncgateway_replicator_blobs_total", "Blobs made present at a destination, by how: copied, mounted or skipped.", new CounterConfiguration { LabelNames = ["action"] });

    public static readonly Counter BlobBytes = Prometheus.Metrics.CreateCounter(
        "syncgateway_replicator_blob_bytes_total", "Bytes of the blobs made present at a destination, by how.", new CounterConfiguration { LabelNames = ["action"] });

    public static readonly Counter Retries = Prometheus.Metrics.CreateCounter(
        "syncgateway_replicator_retries_total", "Units of work retried, by reason.", new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Gauge InFlightTransfers = Prometheus.Metrics.CreateGauge(
        "syncgateway_replicator_transfers_in_flight", "Blob streams running now.");

    public static readonly Gauge QueueDepth = Prometheus.Metrics.CreateGauge(
        "syncgateway_replicator_queue_depth", "Copies waiting or running in the durable queue.");

    public static readonly Histogram Lag = Prometheus.Metrics.CreateHistogram(
        "syncgateway_replicator_lag_seconds", "Time from an event (push, webhook, read miss) to its image being at the destination.",
        new HistogramConfiguration { Buckets = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600] });

    public static readonly Gauge LastPoll = Prometheus.Metrics.CreateGauge(
        "syncgateway_replicator_last_poll_timestamp_seconds", "When every rule was last reconciled successfully (Unix time).");

    public static readonly Counter IndexesRewritten = Prometheus.Metrics.CreateCounter(
        "syncgateway_replicator_indexes_rewritten_total", "Indexes written anew with only a rule's platforms (their digest differs from the source's).");

    public static readonly Counter Referrers = Prometheus.Metrics.CreateCounter(
        "syncgateway_replicator_referrers_total", "Signatures, SBOMs and attestations of copied images, by what was done: copied, or present already.", new CounterConfiguration { LabelNames = ["action"] });

    public static void Initialize(SyncConfiguration configuration)
    {
        foreach (var action in Enum.GetValues<ReferrerAction>())
        {
            Referrers.WithLabels(action.Label());
        }

        foreach (var action in Enum.GetValues<BlobAction>())
        {
            Blobs.WithLabels(action.Label());
            BlobBytes.WithLabels(action.Label());
        }

        foreach (var outcome in Enum.GetValues<TaskOutcome>())
        {
            Tasks.WithLabels(outcome.Label());
        }

        foreach (var reason in Enum.GetValues<RetryReason>())
        {
            Retries.WithLabels(reason.Label());
        }

        RegistryLimitReporter.Initialize(configuration);
    }

    public void Blob(BlobAction action, long bytes)
    {
        Blobs.WithLabels(action.Label()).Inc();
        BlobBytes.WithLabels(action.Label()).Inc(bytes);
    }

    public void Task(TaskOutcome outcome) => Tasks.WithLabels(outcome.Label()).Inc();

    public void Retry(RetryReason reason) => Retries.WithLabels(reason.Label()).Inc();

    public void InFlight(int change) => InFlightTransfers.Inc(change);

    public void IndexRewritten() => IndexesRewritten.Inc();

    public void Referrer(ReferrerAction action) => Referrers.WithLabels(action.Label()).Inc();
}
