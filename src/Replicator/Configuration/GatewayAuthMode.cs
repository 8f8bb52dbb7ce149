namespace SyncGateway.Replicator.Configuration;

/// <summary>Who may use the gateway, and whose credentials go upstream (<c>gateway.auth</c>).</summary>
public enum GatewayAuthMode
{
    /// <summary>The client's credentials go to the source, which decides (the default).</summary>
    Passthrough,

    /// <summary>Users of an htpasswd file log in to the gateway, which uses its own credentials upstream.</summary>
    Basic,

    /// <summary>Anyone, with the gateway's own credentials upstream: an explicit opt-in for trusted networks.</summary>
    Anonymous,
}
