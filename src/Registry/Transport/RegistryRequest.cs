namespace SyncGateway.Registry.Transport;

/// <summary>
/// What a request tells the handler pipeline about itself, in its options: the token scope it
/// needs (only a request with a scope gets the registry's service credentials), and, on the way
/// back, whether its authorization expired while a body that cannot be sent again was in flight.
/// </summary>
public static class RegistryRequest
{
    internal static readonly HttpRequestOptionsKey<string> ScopeKey = new("syncgateway.scope");
    internal static readonly HttpRequestOptionsKey<bool> ExpiredKey = new("syncgateway.authorization-expired");
    internal static readonly HttpRequestOptionsKey<bool> ConnectKey = new("syncgateway.connect");

    /// <summary>The request carries this registry's service credentials, for <paramref name="scope"/>.</summary>
    public static void UseServiceCredentials(this HttpRequestMessage request, string scope) => request.Options.Set(ScopeKey, scope);

    /// <summary>
    /// The registry refused the token the request carried, and its body was a stream that is gone:
    /// the whole unit is worth repeating with a fresh token.
    /// </summary>
    public static bool AuthorizationExpired(this HttpRequestMessage request) =>
        request.Options.TryGetValue(ExpiredKey, out var expired) && expired;

    /// <summary>
    /// The request is <c>GET /v2/</c> sent ahead of the work to settle what the first requests would
    /// otherwise wait for: a connection, an <c>insecure</c> registry's scheme, its challenge.
    /// </summary>
    internal static bool IsConnect(this HttpRequestMessage request) =>
        request.Options.TryGetValue(ConnectKey, out var connect) && connect;

    /// <summary>Whether the request can go again as it is: no body, or one held in memory.</summary>
    internal static bool IsReplayable(this HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or ReadOnlyMemoryContent;
}
