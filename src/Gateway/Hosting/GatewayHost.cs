using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using SyncGateway.Gateway.Live;
using SyncGateway.Gateway.Logging;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Gateway.Options;
using SyncGateway.Gateway.Proxy;
using SyncGateway.Gateway.Replication;
using SyncGateway.Gateway.Status;
using SyncGateway.Gateway.Webhooks;
using SyncGateway.Replicator.Configuration;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Queue;
using SyncGateway.Replicator.Records;

namespace SyncGateway.Gateway.Hosting;

/// <summary>Builds the <c>serve</c> process: the Registry V2 endpoint, metrics, health, and the replication worker.</summary>
internal static class GatewayHost
{
    public static WebApplication Build(string configPath, SyncConfiguration configuration, SyncOptions options, ServeRole role, TextWriter log, bool json = false)
    {
        var gateway = configuration.Gateway!;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TextWriterLoggerProvider(log, LogLevel.Information, TimeProvider.System, json));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(gateway.Listen);
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = EventLoop.Runs(role));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            if (gateway.TlsCertificate is { } certificate)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = X509Certificate2.CreateFromPemFile(certificate, gateway.TlsKey));
            }
        });

        builder.Services.AddSyncGateway(configPath, configuration, options, role);
        var app = builder.Build();
        app.MapSyncGateway(role);
        return app;
    }

    private static IServiceCollection AddSyncGateway(this IServiceCollection services, string configPath, SyncConfiguration configuration, SyncOptions options, ServeRole role)
    {
        var gateway = configuration.Gateway!;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => new LiveConfiguration(configPath, configuration, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<LiveConfiguration>());
        services.AddSingleton<ReplicationMetrics>();
        GatewayMetrics.Initialize();
        ReplicationMetrics.Initialize(configuration);

        // Where pushes go from a gateway replica, and where a sharded replicator forwards what it does not own.
        if (role == ServeRole.Gateway || !options.Shard.IsWhole)
        {
            services.AddSingleton(sp => new RemoteReplicationEvents(
                gateway.Replicator!, options.Shard.Count, sp.GetRequiredService<LiveConfiguration>(), gateway.WebhookSecret!, sp.GetRequiredService<ILogger<RemoteReplicationEvents>>()));
        }

        if (role.ServesRegistry())
        {
            services.AddSingleton<ContentChecks>();
            services.AddSingleton(sp => new SourceRouter(gateway.Sources, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<UpstreamForwarder>();
            // With the replicator in this process, fills and copies take turns on one map of blobs in flight.
            services.AddSingleton(sp => new BlobFills(
                sp.GetRequiredService<ContentChecks>(),
                sp.GetService<ReplicationEngine>()?.Transfers ?? new BlobTransfers(),
                sp.GetRequiredService<ILogger<BlobFills>>()));
            services.AddSingleton<RegistryProxy>();
            services.AddHttpForwarder();
            if (role == ServeRole.Gateway)
            {
                services.AddSingleton<IReplicationEvents>(sp => sp.GetRequiredService<RemoteReplicationEvents>());
            }
            else
            {
                services.AddSingleton<IReplicationEvents, LocalReplicationEvents>();
            }
        }

        if (role.Replicates())
        {
            services.AddSingleton(sp => RecordStore.Open(options.RecordsPath ?? ReplicatorSettings.DefaultRecords, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton(sp => new ReplicationEngine(options with { KeepSucceeded = false }, sp.GetRequiredService<RecordStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
            services.AddSingleton<ReplicationQueue>();
            services.AddSingleton<ReconcileState>();
            services.Configure<HostOptions>(host => host.ShutdownTimeout = ReplicationWorker.ShutdownGrace + TimeSpan.FromSeconds(10));
            services.AddHostedService<ReplicationWorker>();
            services.AddHostedService<Reconciler>();
        }

        return services;
    }

    private static void MapSyncGateway(this WebApplication app, ServeRole role)
    {
        app.MapMetrics("/metrics");
        app.MapStatus(role);
        if (role.Replicates())
        {
            app.MapWebhooks();
        }

        if (role.ServesRegistry())
        {
            app.Map("/v2", (HttpContext context, RegistryProxy proxy) => proxy.HandleAsync(context, string.Empty));
            app.Map("/v2/{**rest}", (HttpContext context, string? rest, RegistryProxy proxy) => proxy.HandleAsync(context, rest));
        }
    }
}
