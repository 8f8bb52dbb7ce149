using System.Collections.Concurrent;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// A far registry: a <see cref="FaultProxy"/> in front of a local one that holds every request
/// for a fixed delay before forwarding it, and counts requests by method. Bodies stream through
/// both ways and the Host header is passed on, so the registry's Location headers name the proxy.
/// </summary>
internal sealed class LatencyProxy : IAsyncDisposable
{
    private readonly FaultProxy _proxy;
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _arrivals = new();
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    private LatencyProxy(FaultProxy proxy, TimeSpan delay)
    {
        _proxy = proxy;
        Delay = delay;
        proxy.Around = async context =>
        {
            _counts.AddOrUpdate(context.Request.Method, 1, (_, count) => count + 1);
            var arrived = Clock.Elapsed.TotalMilliseconds;
            await Task.Delay(Delay, context.RequestAborted);
            return KeepArrivals ? new Answered(this, arrived, $"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}") : null;
        };
    }

    /// <summary><c>127.0.0.1:port</c>, the name images give the far registry.</summary>
    public string Host => _proxy.Host;

    public TimeSpan Delay { get; }

    /// <summary>
    /// Whether every request is kept for <see cref="TakeArrivals"/>: when it arrived and when its answer was sent
    /// (milliseconds on a clock all proxies share), method, path.
    /// </summary>
    public bool KeepArrivals { get; init; } = Environment.GetEnvironmentVariable("SYNCGATEWAY_BENCH_LOGS") is { Length: > 0 };

    /// <summary>The requests kept since the last call, by arrival, oldest first: <c>arrived answered METHOD path</c>.</summary>
    public IReadOnlyList<string> TakeArrivals()
    {
        var taken = new List<(double Arrived, string Line)>();
        while (_arrivals.TryDequeue(out var arrival))
        {
            taken.Add((double.Parse(arrival.AsSpan(0, arrival.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture), arrival));
        }

        return taken.OrderBy(a => a.Arrived).Select(a => a.Line).ToList();
    }

    // Disposed by the proxy when the answer has gone back to the client.
    private sealed class Answered(LatencyProxy proxy, double arrived, string request) : IDisposable
    {
        public void Dispose() =>
            proxy._arrivals.Enqueue(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{arrived:0} {Clock.Elapsed.TotalMilliseconds:0} {request}"));
    }

    public static async Task<LatencyProxy> StartAsync(Uri target, TimeSpan delay) => new(await FaultProxy.StartAsync(target), delay);

    /// <summary>The requests counted since the last call, by method; the count starts again at zero.</summary>
    public RequestCounts Take()
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var method in _counts.Keys)
        {
            if (_counts.TryRemove(method, out var count))
            {
                counts[method] = count;
            }
        }

        return new RequestCounts(counts);
    }

    public ValueTask DisposeAsync() => _proxy.DisposeAsync();
}

/// <summary>Requests by method, e.g. <c>GET 160, HEAD 80</c>.</summary>
internal sealed record RequestCounts(IReadOnlyDictionary<string, int> ByMethod)
{
    public int Total => ByMethod.Values.Sum();

    public override string ToString() => ByMethod.Count == 0 ? "none" : string.Join(", ", ByMethod.Select(m => $"{m.Key} {m.Value}"));
}
