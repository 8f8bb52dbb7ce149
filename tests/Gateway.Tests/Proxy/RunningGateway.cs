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
    private int _disposed;

    public int Port { get; private init; } = RegistryProcess.FreePort();

    /// <summary>The loopback address it listens on (127.0.0.0/8: replicas of one port on several addresses).</summary>
    public string Address { get; private init; } = "127.0.0.1";

    public string Host => $"{Address}:{Port}";

    public string Scheme { get; private init; } = "http";

    /// <summary>The configuration file the gateway runs on (and reloads when it changes).</summary>
    public string ConfigPath { get; private set; } = string.Empty;

    public Uri BaseUri => new($"{Scheme}://{Host}/");

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
    /// <remarks>
    /// The gateway reconciles every rule when it starts; this returns once that first pass is over,
    /// so a test can put images at the source that only a later event or poll will find.
    /// </remarks>
    public static async Task<RunningGateway> StartAsync(
        Workspace workspace, string source, string mirror, IEnumerable<string> repositories, string auth = "passthrough",
        string credentials = "", (string Certificate, string Key)? tls = null, string pollInterval = "0", string webhookSecret = "test-secret", string logFormat = "text",
        string role = "all", string? replicator = null, int concurrency = 5, string extraRules = "",
        string address = "127.0.0.1", int? port = null, string[]? arguments = null)
    {
        // A free port can be taken by another process before serve binds it: then try another.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var gateway = new RunningGateway { Scheme = tls is null ? "http" : "https", Address = address, Port = port ?? RegistryProcess.FreePort() };
                return await gateway.StartOnceAsync(workspace, source, mirror, repositories, auth, credentials, tls, pollInterval, webhookSecret, logFormat, role, replicator, concurrency, extraRules, arguments ?? []);
            }
            catch (InvalidOperationException ex) when (attempt < 5 && port is null && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private async Task<RunningGateway> StartOnceAsync(
        Workspace workspace, string source, string mirror, IEnumerable<string> repositories, string auth, string credentials,
        (string Certificate, string Key)? tls, string pollInterval, string webhookSecret, string logFormat, string role, string? replicator, int concurrency, string extraRules,
        string[] arguments)
    {
        var tlsSection = tls is { } files ? $"\n  tls:\n    certificate: {files.Certificate}\n    key: {files.Key}" : string.Empty;
        var rules = string.Join('\n', repositories.Select(r => $"  - source: {source}/{r}\n    destination: {mirror}/mirror/{r[(r.LastIndexOf('/') + 1)..]}"));
        var config = workspace.Write("gateway.yaml", $"""
            registries:
              "{source}":
                insecure: true
                {credentials}
              "{mirror}":
                insecure: true
            rules:
            {rules}
            {extraRules}
            replicator:
              records: {workspace.Records}
              pollInterval: {pollInterval}
              concurrency: {concurrency}
            webhooks:
              secret: {webhookSecret}
            gateway:
              listen: {Scheme}://{Host}
              source: {source}
              mirror: {mirror}
              auth: {auth}{tlsSection}{(replicator is null ? string.Empty : $"\n  replicator: {replicator}")}
            """);
        return await LaunchAsync(config, logFormat, role, arguments);
    }

    /// <summary>
    /// Starts serving a configuration written by <paramref name="config"/> (given the port to listen
    /// on), for setups the standard one does not cover (several sources).
    /// </summary>
    public static async Task<RunningGateway> StartWithConfigAsync(Workspace workspace, Func<int, string> config)
    {
        for (var attempt = 1; ; attempt++)
        {
            var gateway = new RunningGateway();
            try
            {
                return await gateway.LaunchAsync(workspace.Write("gateway.yaml", config(gateway.Port)), "text", "all", []);
            }
            catch (InvalidOperationException ex) when (attempt < 5 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private async Task<RunningGateway> LaunchAsync(string config, string logFormat, string role, string[] arguments)
    {
        ConfigPath = config;
        var console = new CliConsole(TextWriter.Null, TextWriter.Synchronized(_log), IsTerminal: false);
        _run = SyncGatewayCli.InvokeAsync(["serve", "--config", config, "--log-format", logFormat, "--role", role, .. arguments], console, _stop.Token);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (_run.IsCompleted)
            {
                string outcome;
                try
                {
                    outcome = $"exit {await _run}";
                }
                catch (Exception ex)
                {
                    outcome = ex.ToString();
                }

                throw new InvalidOperationException($"serve ended ({outcome}): {Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "healthz"));
                if (response.IsSuccessStatusCode && (role == "gateway" || Log.Contains("Reconcil", StringComparison.Ordinal)))
                {
                    return this;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
            {
                // listening, but not answering within the client's 2 s yet (a machine under load)
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"serve did not answer on {Host} within 100 attempts: {Log}");
    }

    /// <summary>Stops serving; a second call (a test that stopped it early) does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run;
        }

        _stop.Dispose();
    }
}
