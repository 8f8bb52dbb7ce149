namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// One registry the gateway fronts: <c>gateway.source</c> (with <c>mirror</c>, <c>auth</c>,
/// <c>htpasswd</c>) in the simple form, or an entry of <c>gateway.sources</c>. A request reaches it
/// by containerd's <c>?ns=</c> naming <see cref="Source"/>, or by a repository path that starts
/// with <see cref="Prefix"/> (which is taken off before the source sees the name); the one
/// source without a prefix takes every other request.
/// </summary>
public sealed record GatewaySource(string Source, string? Mirror, GatewayAuthMode Auth, string? Htpasswd, string Prefix = "");
