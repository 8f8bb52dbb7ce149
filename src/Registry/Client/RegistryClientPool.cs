using System.Collections.Concurrent;
using SyncGateway.Registry.Auth;

namespace SyncGateway.Registry.Client;

/// <summary>
/// One <see cref="RegistryClient"/> per configured endpoint (a host, or a namespace of a host with
/// credentials of its own), each with its own connection pool, TLS settings and token cache.
/// Hosts the configuration does not name get a secure endpoint with the docker login's
/// credentials, if there are any.
/// </summary>
public sealed class RegistryClientPool(
    IEnumerable<RegistryEndpoint> endpoints,
    TimeProvider time,
    IReadOnlyDictionary<string, RegistryCredentials>? dockerLogins = null,
    Action<string, double>? rateLimitObserved = null) : IDisposable
{
    private readonly RegistryEndpoint[] _endpoints = endpoints.OrderByDescending(e => e.Prefix.Length).ToArray();
    private readonly ConcurrentDictionary<string, Lazy<(RegistryClient Client, SocketsHttpHandler Handler)>> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The client for a repository: the endpoint with the longest matching prefix.</summary>
    public RegistryClient Get(string registry, string repository)
    {
        var name = $"{registry}/{repository}";
        var endpoint = _endpoints.FirstOrDefault(e =>
            string.Equals(e.Prefix, registry, StringComparison.OrdinalIgnoreCase)
            || name.StartsWith(e.Prefix + "/", StringComparison.OrdinalIgnoreCase));
        endpoint ??= new RegistryEndpoint { Host = registry, Credentials = dockerLogins?.GetValueOrDefault(registry) };
        if (endpoint.Credentials is null && dockerLogins?.GetValueOrDefault(registry) is { } login)
        {
            endpoint = endpoint with { Credentials = login };
        }

        var key = endpoint.Prefix;
        return _clients.GetOrAdd(key, _ => new Lazy<(RegistryClient, SocketsHttpHandler)>(() =>
        {
            var handler = RegistryHttp.CreateHandler(endpoint);
            var http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
            return (new RegistryClient(endpoint, http, time, new HttpMessageInvoker(handler, disposeHandler: false), rateLimitObserved), handler);
        })).Value.Client;
    }

    public void Dispose()
    {
        foreach (var lazy in _clients.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Handler.Dispose();
        }
    }
}
