namespace SyncGateway.Gateway.Options;

/// <summary>
/// What one <c>serve</c> process does. <c>all</c>: the gateway and the replicator in one process.
/// <c>gateway</c>: the Registry V2 endpoint only, stateless, any number of replicas, sending the
/// pushes it sees to the replicator. <c>replicator</c>: the records, the queue, webhooks and polling,
/// one process.
/// </summary>
public enum ServeRole
{
    All,
    Gateway,
    Replicator,
}

internal static class ServeRoles
{
    public static bool ServesRegistry(this ServeRole role) => role is ServeRole.All or ServeRole.Gateway;

    public static bool Replicates(this ServeRole role) => role is ServeRole.All or ServeRole.Replicator;
}
