using System.Diagnostics;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// One build of <c>syncgateway</c> in the gateway benchmark, in one <c>serve</c> role: its own
/// process, port and records, in front of the shared registries.
/// </summary>
internal sealed class GatewayBuild(string name, string binary, string role)
{
    public string Name { get; } = name;

    public Process? Serve { get; private set; }

    public string Gateway { get; private set; } = string.Empty;

    public Pulled Through { get; private set; } = null!;

    /// <summary>CPU seconds per GiB of the first pull through this build's fresh gateway.</summary>
    public double First { get; set; }

    /// <summary>Syncs the rule (the first build copies the blob to the mirror, later ones find it there), starts <c>serve</c> and waits for its start-up sync.</summary>
    public async Task StartAsync(HttpClient http, string folder, string source, string mirror)
    {
        var port = RegistryProcess.FreePort();
        var config = Path.Combine(folder, $"gateway-{port}.yaml");
        await File.WriteAllTextAsync(config, $"""
            registries:
              "{source}": {"{"}insecure: true{"}"}
              "{mirror}": {"{"}insecure: true{"}"}
            rules:
              - source: {source}/bench/pull
                destination: {mirror}/mirror/pull
            replicator:
              records: {Path.Combine(folder, $"records-{port}.db")}
            gateway:
              listen: http://127.0.0.1:{port}
              source: {source}
              mirror: {mirror}
              replicator: http://127.0.0.1:9/
            webhooks:
              secret: bench
            """);
        var sync = await Measured.RunAsync("sync", binary, ["sync", "--config", config]);
        if (sync.ExitCode != 0)
        {
            throw new InvalidOperationException(sync.Output);
        }

        Serve = Process.Start(new ProcessStartInfo(binary, ["serve", "--config", config, "--role", role]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        Serve.ErrorDataReceived += (_, _) => { };
        Serve.OutputDataReceived += (_, _) => { };
        Serve.BeginErrorReadLine();
        Serve.BeginOutputReadLine();
        Gateway = $"http://127.0.0.1:{port}";
        Through = new Pulled($"{Gateway}/v2/bench/pull/blobs/", Serve.Id);
        await GatewayBench.WaitAsync(http, $"{Gateway}/healthz");

        // serve starts with a sync of every rule: what is measured is serving, not that. (A gateway
        // replica has no replicator in it: pushes would go to gateway.replicator, never called here.)
        if (role != "gateway")
        {
            await GatewayBench.WaitForStartupSyncAsync(http, $"{Gateway}/api/status");
        }
    }
}
