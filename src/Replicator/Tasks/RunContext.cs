using SyncGateway.Registry.Client;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Tasks;

/// <summary>
/// What one piece of work runs with: the registry clients of the configuration generation it
/// started on, and the statistics of the run it belongs to (a bulk sync, a queued event).
/// </summary>
public sealed record RunContext(RegistryClientPool Registries, TransferStats Stats);
