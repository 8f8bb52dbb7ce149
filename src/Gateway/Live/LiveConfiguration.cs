using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Limits;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Live;

/// <summary>
/// The configuration the daemon runs on, reloaded on SIGHUP or when the file changes. A file with
/// errors is refused whole (the errors are logged) and the running configuration stays. Rules and
/// registries take effect at once; the gateway section (listen address, TLS, source, mirror, auth)
/// is read at start only, and a change to it is reported as needing a restart. Each load is a
/// <see cref="ConfigurationGeneration"/>: work leases the current one, and a replaced one closes
/// its connections when its last lease ends.
/// </summary>
internal sealed partial class LiveConfiguration : IHostedService, IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RegistryLimitsBook _limits;
    private readonly Lock _reloadGate = new();
    private volatile ConfigurationGeneration _current;
    private FileSystemWatcher? _watcher;
    private PosixSignalRegistration? _hangup;
    private ITimer? _pending;

    public LiveConfiguration(string path, SyncConfiguration initial, TimeProvider time, ILoggerFactory loggers)
    {
        _path = Path.GetFullPath(path);
        _time = time;
        _logger = loggers.CreateLogger("SyncGateway.Configuration");
        _limits = new RegistryLimitsBook(time, new RegistryLimitReporter(initial, loggers.CreateLogger("SyncGateway.Registries")));
        Gateway = initial.Gateway!;
        _current = Build(initial);
    }

    /// <summary>The gateway section as it was at start.</summary>
    public GatewaySettings Gateway { get; }

    /// <summary>The configuration now (rules, registries); for work that outlives a moment, <see cref="Lease"/>.</summary>
    public SyncConfiguration Configuration => _current.Configuration;

    /// <summary>Holds the current generation open until the lease is disposed.</summary>
    public GenerationLease Lease()
    {
        while (true)
        {
            if (_current.TryLease(out var lease))
            {
                return lease;
            }
        }
    }

    /// <summary>How many generations were built so far (the first one included).</summary>
    public int Generations { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(_path)!;
        _watcher = new FileSystemWatcher(folder) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime };
        _watcher.Changed += (_, e) => Schedule(e.FullPath);
        _watcher.Created += (_, e) => Schedule(e.FullPath);
        _watcher.Renamed += (_, e) => Schedule(e.FullPath);
        _watcher.EnableRaisingEvents = true;
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Reload("SIGHUP");
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _hangup?.Dispose();
        _pending?.Dispose();
    }

    /// <summary>Loads the file again and swaps it in when it has no errors.</summary>
    public bool Reload(string cause)
    {
        lock (_reloadGate)
        {
            SyncConfiguration loaded;
            try
            {
                loaded = ConfigurationLoader.Load(new ConfigurationSources { ConfigFile = _path }, Environment.GetEnvironmentVariable);
            }
            catch (ConfigurationException ex)
            {
                Log.Refused(_logger, _path, cause, string.Join("; ", ex.Errors));
                return false;
            }

            if (loaded.Gateway != Gateway)
            {
                Log.GatewayChanged(_logger, _path);
            }

            var replaced = _current;
            _current = Build(loaded with { Gateway = Gateway });
            replaced.Retire();
            Log.Reloaded(_logger, _path, cause, loaded.Rules.Count);
            return true;
        }
    }

    // Editors and config-map updates write a file in several steps: wait for them to settle.
    private void Schedule(string changed)
    {
        if (!string.Equals(Path.GetFileName(changed), Path.GetFileName(_path), StringComparison.Ordinal)
            && !string.Equals(Path.GetFileName(changed), "..data", StringComparison.Ordinal))
        {
            return;
        }

        lock (_reloadGate)
        {
            _pending?.Dispose();
            _pending = _time.CreateTimer(_ => Reload("file change"), null, Settle, Timeout.InfiniteTimeSpan);
        }
    }

    private ConfigurationGeneration Build(SyncConfiguration configuration)
    {
        Generations++;
        var registries = new RegistryClientPool(
            configuration.Registries,
            _time,
            DockerConfigCredentials.Load(DockerConfigCredentials.DefaultPath()),
            _limits);
        return new ConfigurationGeneration(configuration, registries, Gateway.Sources.ToDictionary(s => s.Source, s => new MirrorMap(configuration, s.Source, s.Mirror), StringComparer.Ordinal));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Reloaded the configuration {Path} ({Cause}): {Rules} rule(s)")]
        public static partial void Reloaded(ILogger logger, string path, string cause, int rules);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Refused to reload {Path} ({Cause}); the running configuration stays: {Errors}")]
        public static partial void Refused(ILogger logger, string path, string cause, string errors);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "The gateway section of {Path} changed; it takes effect at the next restart")]
        public static partial void GatewayChanged(ILogger logger, string path);
    }
}
