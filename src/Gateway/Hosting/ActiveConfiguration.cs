using SyncGateway.Gateway.Proxy;
using SyncGateway.Registry.Client;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Hosting;

/// <summary>
/// One loaded configuration with everything built from it: the registries' clients, the mirror
/// map and the runner. A reload builds a new one and swaps it in whole; work in flight keeps the
/// one it started with.
/// </summary>
internal sealed record ActiveConfiguration(SyncConfiguration Configuration, RegistryClientPool Registries, MirrorMap Mirrors, SyncRunner Runner);
