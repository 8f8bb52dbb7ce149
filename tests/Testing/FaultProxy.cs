using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SyncGateway.Testing;

/// <summary>
/// An HTTP hop between the code under test and a real registry, which logs every request and
/// can answer some of them itself (a 429, a corrupted blob) while the rest go through unchanged.
/// The Host header is passed on, so the registry's own Location headers point back at the proxy.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection" };
    private readonly WebApplication _app;
    private long _bytesServed;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };

    private FaultProxy(WebApplication app, Uri target, int port)
    {
        _app = app;
        Target = target;
        Port = port;
    }

    public Uri Target { get; }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>"METHOD /path?query" of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Bytes of the answers' bodies the registry served through this hop.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    /// <summary>Answers a request itself when it returns true; otherwise the request goes to the registry.</summary>
    public Func<HttpContext, Task<bool>>? Fault { get; set; }

    /// <summary>
    /// Called for each request that goes through to the registry; what it returns is disposed when
    /// the answer has been passed back whole (to measure what is in flight, or to delay a hop).
    /// </summary>
    public Func<HttpContext, Task<IDisposable?>>? Around { get; set; }

    /// <summary>Changes the path and query a request is forwarded with (to strip a parameter a registry should not see).</summary>
    public Func<HttpRequest, string>? Rewrite { get; set; }

    public static async Task<FaultProxy> StartAsync(Uri target)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(target).ConfigureAwait(false);
            }
            catch (IOException) when (attempt < 5)
            {
                // the free port was taken before Kestrel bound it: try another
            }
        }
    }

    private static async Task<FaultProxy> StartOnceAsync(Uri target)
    {
        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new FaultProxy(app, target, port);
        app.Run(proxy.HandleAsync);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        Requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        if (Fault is { } fault && await fault(context).ConfigureAwait(false))
        {
            return;
        }

        using var around = Around is { } observe ? await observe(context).ConfigureAwait(false) : null;
        var pathAndQuery = Rewrite?.Invoke(request) ?? $"{request.Path}{request.QueryString}";
        using var outbound = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(Target, pathAndQuery));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            outbound.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopHeaders.Contains(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!outbound.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                outbound.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        outbound.Headers.Host = request.Host.Value;
        using var response = await _http.SendAsync(outbound, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopHeaders.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            Interlocked.Add(ref _bytesServed, read);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }
}
