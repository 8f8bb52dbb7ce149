using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Limits;

namespace SyncGateway.Registry.Transport;

/// <summary>
/// The outbound stack of one registry endpoint, built once: the connection pool at the bottom,
/// then what every request to the registry shares, as handlers (the scheme of an <c>insecure</c>
/// registry, the registry's limits, authentication). The replicator's clients and the gateway's
/// forwarder send through the same stack; feature code never sees a token.
/// </summary>
internal sealed class RegistryPipeline : IDisposable
{
    private readonly HttpMessageHandler _connections;
    private readonly HttpClient _tokens;

    /// <summary>Builds the stack; <paramref name="connections"/> replaces the connection pool at its bottom (tests script the answers there).</summary>
    public RegistryPipeline(RegistryEndpoint endpoint, TimeProvider time, RegistryLimitsBook limits, HttpMessageHandler? connections = null)
    {
        _connections = connections ?? RegistryHttp.CreateHandler(endpoint);
        HttpMessageHandler inner = _connections;
        if (endpoint.Insecure)
        {
            inner = new SchemeHandler(endpoint.ApiHost) { InnerHandler = inner };
        }

        Limits = limits.For(endpoint.Host, endpoint.MaxRequests, endpoint.RequestsPerSecond, endpoint.Bandwidth);
        inner = new LimitHandler(Limits) { InnerHandler = inner };

        // Token requests go to the realm, wherever it is: through the same connections, without the registry's own handlers.
        _tokens = new HttpClient(_connections, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        BaseUri = new Uri($"https://{endpoint.ApiHost}/v2/");
        var authenticator = new RegistryAuthenticator(endpoint.ApiHost, endpoint.Login, _tokens, time, endpoint.Insecure, endpoint.Realm);
        Handler = new AuthenticationHandler(authenticator, BaseUri) { InnerHandler = inner };
        Client = new HttpClient(Handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        Invoker = new HttpMessageInvoker(Handler, disposeHandler: false);
    }

    public RegistryLimits Limits { get; }

    /// <summary>The registry's API root, <c>https://host/v2/</c>; an <c>insecure</c> registry's scheme is settled below.</summary>
    public Uri BaseUri { get; }

    /// <summary>The top of the stack, for forwarding requests as they are.</summary>
    public HttpMessageHandler Handler { get; }

    public HttpClient Client { get; }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose()
    {
        Client.Dispose();
        Invoker.Dispose();
        _tokens.Dispose();
        Handler.Dispose(); // and every handler below it, the connections last
    }
}
