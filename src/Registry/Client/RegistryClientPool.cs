using System.Collections.Concurrent;

namespace SyncGateway.Registry.Client;

/// <summary>
/// One <see cref="RegistryClient"/> per registry host, each with its own connection pool, TLS
/// settings and token cache. Hosts the configuration does not name get a secure anonymous endpoint.
/// </summary>
public sealed class RegistryClientPool(IEnumerable<RegistryEndpoint> endpoints, TimeProvider time) : IDisposable
{
    private readonly Dictionary<string, RegistryEndpoint> _endpoints = endpoints.ToDictionary(e => e.Host, StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<(RegistryClient Client, HttpClient Http)>> _clients = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClient Get(string host) =>
        _clients.GetOrAdd(host, h => new Lazy<(RegistryClient, HttpClient)>(() =>
        {
            var endpoint = _endpoints.GetValueOrDefault(h) ?? new RegistryEndpoint { Host = h };
            var http = RegistryHttp.CreateClient(endpoint);
            return (new RegistryClient(endpoint, http, time), http);
        })).Value.Client;

    public void Dispose()
    {
        foreach (var lazy in _clients.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Http.Dispose();
        }
    }
}
