using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// The daemon's metrics as Prometheus sees them: promtool accepts the exposition, every family is
/// there from start-up, and a real Prometheus server scrapes the daemon and answers a query about
/// replication.
/// </summary>
public sealed class MetricsTests
{
    private static readonly string[] Families =
    [
        "syncgateway_gateway_requests_total", "syncgateway_gateway_response_bytes_total", "syncgateway_gateway_stale_reads_total", "syncgateway_gateway_replications_queued_total",
        "syncgateway_replicator_tasks_total", "syncgateway_replicator_blobs_total", "syncgateway_replicator_blob_bytes_total",
        "syncgateway_replicator_retries_total", "syncgateway_replicator_transfers_in_flight", "syncgateway_replicator_queue_depth",
        "syncgateway_replicator_lag_seconds", "syncgateway_replicator_last_poll_timestamp_seconds", "syncgateway_registry_rate_limit_remaining",
        "syncgateway_replicator_indexes_rewritten_total", "syncgateway_replicator_referrers_total",
    ];

    [Fact]
    public async Task TheExposition_PassesPromtool_AndHasEveryFamilyFromStartUp()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        var exposition = await http.GetStringAsync("metrics");
        var (exitCode, output) = await RunAsync("promtool", ["check", "metrics"], exposition);

        Assert.True(exitCode == 0, $"promtool check metrics: {output}");
        foreach (var family in Families)
        {
            Assert.Contains($"# TYPE {family} ", exposition, StringComparison.Ordinal);
        }

        Assert.Contains($"syncgateway_registry_rate_limit_remaining{{registry=\"{source.Host}\"}}", exposition, StringComparison.Ordinal);
        Assert.Contains("syncgateway_replicator_retries_total{reason=\"rate_limited\"} 0", exposition, StringComparison.Ordinal);
        Assert.DoesNotContain("lib/app", exposition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARealPrometheus_ScrapesTheDaemon_AndAnswersAQueryAboutReplication()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);
        await Skopeo.CopyAsync($"docker://{(await SeedAsync(seeder)).Source}", $"docker://{gateway.Host}/lib/app:1");
        using var atMirror = new ImageSeeder(mirror.Host);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/app", "1") is not null), gateway.Log);

        var port = RegistryProcess.FreePort();
        var config = workspace.Write("prometheus.yml", $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: syncgateway
                static_configs:
                  - targets: ["{gateway.Host}"]
            """);
        var storage = Directory.CreateDirectory(Path.Combine(workspace.Folder, "prometheus")).FullName;
        var info = new ProcessStartInfo("prometheus", [$"--config.file={config}", $"--storage.tsdb.path={storage}", $"--web.listen-address=127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var prometheus = Process.Start(info) ?? throw new InvalidOperationException("prometheus (apt-get install prometheus) did not start");
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            double synced = 0;
            var answered = await Wait.UntilAsync(async () =>
            {
                try
                {
                    var answer = await http.GetFromJsonAsync<JsonElement>("api/v1/query?query=" + Uri.EscapeDataString("sum(syncgateway_replicator_tasks_total{result=\"synced\"})"));
                    var result = answer.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() == 0)
                    {
                        return false;
                    }

                    synced = double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    return synced >= 1;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, seconds: 60);

            Assert.True(answered, $"Prometheus did not report a synced replication task (last value {synced})");
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
        }
    }

    private static async Task<(string Source, SeededImage Image)> SeedAsync(ImageSeeder seeder)
    {
        var image = await seeder.PushImageAsync("seed/metrics", "1", [ImageSeeder.GzipBytes(5000, 600)]);
        return ($"{seeder.Host}/seed/metrics:1", image);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string input)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start (apt-get install prometheus)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
