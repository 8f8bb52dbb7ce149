using SyncGateway.Gateway.Cli;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary><c>syncgateway serve</c> running in this process on a free loopback port, until disposed.</summary>
internal sealed class RunningGateway : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _log = new();
    private Task<int>? _run;

    public int Port { get; } = RegistryProcess.FreePort();

    public string Host => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"http://{Host}/");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Writes a native configuration with a gateway section in front of <paramref name="source"/>,
    /// mirroring each of <paramref name="repositories"/> to <c>mirror/&lt;name&gt;</c> on
    /// <paramref name="mirror"/>, and starts serving it.
    /// </summary>
    public static async Task<RunningGateway> StartAsync(Workspace workspace, string source, string mirror, IEnumerable<string> repositories, string auth = "passthrough", string extraRegistries = "")
    {
        var gateway = new RunningGateway();
        var rules = string.Join('\n', repositories.Select(r => $"  - source: {source}/{r}\n    destination: {mirror}/mirror/{r[(r.LastIndexOf('/') + 1)..]}"));
        var config = workspace.Write("gateway.yaml", $"""
            registries:
              "{source}":
                insecure: true
              "{mirror}":
                insecure: true
            {extraRegistries}
            rules:
            {rules}
            replicator:
              records: {workspace.Records}
            gateway:
              listen: http://127.0.0.1:{gateway.Port}
              source: {source}
              mirror: {mirror}
              auth: {auth}
            """);
        var console = new CliConsole(TextWriter.Null, TextWriter.Synchronized(gateway._log), IsTerminal: false);
        gateway._run = SyncGatewayCli.InvokeAsync(["serve", "--config", config], console, gateway._stop.Token);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (gateway._run.IsCompleted)
            {
                throw new InvalidOperationException($"serve exited with {await gateway._run}: {gateway.Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(gateway.BaseUri, "healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"serve did not answer on {gateway.Host} within 10 s: {gateway.Log}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run;
        }

        _stop.Dispose();
    }
}
