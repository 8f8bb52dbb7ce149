using System.Collections.Concurrent;
using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Limits;
using SyncGateway.Registry.Transport;

namespace SyncGateway.Registry.Client;

/// <summary>
/// One <see cref="RegistryClient"/> per configured endpoint (a host, or a namespace of a host with
/// credentials of its own), each with its own handler pipeline: connection pool, TLS settings and
/// token cache. Disposing the pool closes every connection. The registries' limits come from a
/// <see cref="RegistryLimitsBook"/> that outlives the pool (one per process).
/// Hosts the configuration does not name get a secure endpoint; an endpoint without credentials
/// of its own gets the docker login's (config.json, its credential helpers), if there is one.
/// </summary>
public sealed class RegistryClientPool(
    IEnumerable<RegistryEndpoint> endpoints,
    TimeProvider time,
    DockerLogins? dockerLogins = null,
    RegistryLimitsBook? limits = null) : IDisposable
{
    private readonly RegistryLimitsBook _limits = limits ?? new RegistryLimitsBook(time);
    private readonly Func<RegistryEndpoint, HttpMessageHandler>? _connections;
    private readonly RegistryEndpoint[] _endpoints = endpoints.OrderByDescending(e => e.Prefix.Length).ToArray();
    private readonly ConcurrentDictionary<string, Lazy<(RegistryClient Client, RegistryPipeline Pipeline)>> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>For tests: every endpoint's requests end in <paramref name="connections"/> instead of the network.</summary>
    internal RegistryClientPool(IEnumerable<RegistryEndpoint> endpoints, TimeProvider time, Func<RegistryEndpoint, HttpMessageHandler> connections)
        : this(endpoints, time)
    {
        _connections = connections;
    }

    /// <summary>The client for a repository: the endpoint with the longest matching prefix.</summary>
    public RegistryClient Get(string registry, string repository)
    {
        var name = $"{registry}/{repository}";
        var endpoint = _endpoints.FirstOrDefault(e =>
            string.Equals(e.Prefix, registry, StringComparison.OrdinalIgnoreCase)
            || name.StartsWith(e.Prefix + "/", StringComparison.OrdinalIgnoreCase));
        endpoint ??= new RegistryEndpoint { Host = registry };
        if (!endpoint.HasLogin && dockerLogins?.For(registry) is { } login)
        {
            endpoint = endpoint with { CredentialSource = login };
        }

        var key = endpoint.Prefix;
        return _clients.GetOrAdd(key, _ => new Lazy<(RegistryClient, RegistryPipeline)>(() =>
        {
            var pipeline = new RegistryPipeline(endpoint, time, _limits, _connections?.Invoke(endpoint));
            return (new RegistryClient(endpoint, pipeline, time), pipeline);
        })).Value.Client;
    }

    /// <summary>
    /// Connects ahead to the endpoint of each repository (<see cref="RegistryClient.ConnectAsync"/>),
    /// each endpoint once, without waiting: best effort, as that is.
    /// </summary>
    public void ConnectAhead(IEnumerable<(string Registry, string Repository)> repositories, CancellationToken cancellationToken)
    {
        foreach (var client in repositories.Select(r => Get(r.Registry, r.Repository)).Distinct())
        {
            _ = client.ConnectAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _clients.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Pipeline.Dispose();
        }
    }
}
