namespace SyncGateway.Replicator.Configuration;

/// <summary>How the replicator works: concurrency, retries, polling and where the records live.</summary>
public sealed record ReplicatorSettings
{
    public const int DefaultConcurrency = 5;
    public const int DefaultRetries = 2;
    public const string DefaultRecords = "./syncgateway.db";

    public int Concurrency { get; init; } = DefaultConcurrency;

    public int Retries { get; init; } = DefaultRetries;

    /// <summary>How often the daemon lists every rule's tags; zero turns polling off.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMinutes(5);

    public string Records { get; init; } = DefaultRecords;
}
