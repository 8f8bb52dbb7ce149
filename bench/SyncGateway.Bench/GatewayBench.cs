using System.Diagnostics;
using System.Globalization;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// Pulls the same content straight from the registries and through <c>syncgateway serve</c>, in
/// one run: the throughput of a large blob served from the mirror, and the latency of a manifest
/// HEAD by tag (which the gateway resolves at the source, then answers from the mirror).
/// </summary>
internal static class GatewayBench
{
    private const long LargeBlob = 512L << 20;
    private const int Pulls = 3;
    private const int Heads = 500;

    public static async Task RunAsync(string syncgateway, Action<string> line)
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        var folder = Directory.CreateTempSubdirectory("syncgateway-bench-gateway-").FullName;
        using (var seeder = new ImageSeeder(source.Host))
        {
            var layer = await seeder.PushGeneratedBlobAsync("bench/pull", LargeBlob, 99);
            await seeder.PushImageWithLayersAsync("bench/pull", "1", [(layer, LargeBlob)]);
        }

        var port = RegistryProcess.FreePort();
        var config = Path.Combine(folder, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/bench/pull
                destination: {mirror.Host}/mirror/pull
            replicator:
              records: {Path.Combine(folder, "records.db")}
            gateway:
              listen: http://127.0.0.1:{port}
              source: {source.Host}
              mirror: {mirror.Host}
            """);
        var sync = await Measured.RunAsync("sync", syncgateway, ["sync", "--config", config]);
        if (sync.ExitCode != 0)
        {
            throw new InvalidOperationException(sync.Output);
        }

        using var serve = Process.Start(new ProcessStartInfo(syncgateway, ["serve", "--config", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        serve.ErrorDataReceived += (_, _) => { };
        serve.BeginErrorReadLine();
        serve.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            var gateway = $"http://127.0.0.1:{port}";
            await WaitAsync(http, $"{gateway}/healthz");

            // serve starts with a sync of every rule: what is measured below is serving, not that.
            await WaitForStartupSyncAsync(http, $"{gateway}/api/status");

            using var probe = new HttpRequestMessage(HttpMethod.Get, $"http://{mirror.Host}/v2/mirror/pull/manifests/1");
            probe.Headers.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
            using var manifest = await http.SendAsync(probe);
            var blob = System.Text.Json.JsonDocument.Parse(await manifest.Content.ReadAsByteArrayAsync()).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;

            var processes = new[] { Process.GetCurrentProcess(), Process.GetProcessById(mirror.ProcessId), serve };
            var gib = Pulls * (double)LargeBlob / (1L << 30);

            // The first pull through a fresh gateway also pays for compiling its code (JIT and tiering):
            // measured on its own, then the pulls below measure serving. The direct path gets the same first pull.
            await PullAsync(http, $"http://{mirror.Host}/v2/mirror/pull/blobs/{blob}");
            var firstBefore = ProcCpuSeconds(serve.Id);
            await PullAsync(http, $"{gateway}/v2/bench/pull/blobs/{blob}");
            var gatewayFirst = (ProcCpuSeconds(serve.Id) - firstBefore) / (LargeBlob / (double)(1L << 30));
            var mirrorBefore = ProcCpuSeconds(mirror.ProcessId);
            var (direct, directBusy) = await Busy(processes, () => ThroughputAsync(http, $"http://{mirror.Host}/v2/mirror/pull/blobs/{blob}"));
            var mirrorDirect = (ProcCpuSeconds(mirror.ProcessId) - mirrorBefore) / gib;
            mirrorBefore = ProcCpuSeconds(mirror.ProcessId);
            var gatewayBefore = ProcCpuSeconds(serve.Id);
            var (through, throughBusy) = await Busy(processes, () => ThroughputAsync(http, $"{gateway}/v2/bench/pull/blobs/{blob}"));
            var gatewayThrough = (ProcCpuSeconds(serve.Id) - gatewayBefore) / gib;
            var mirrorThrough = (ProcCpuSeconds(mirror.ProcessId) - mirrorBefore) / gib;
            line(string.Create(CultureInfo.InvariantCulture, $"| gateway | large blob (512 MiB) GET, median of {Pulls} | direct from the mirror {direct:0} MiB/s (CPU {directBusy:0}% busy) | through the gateway {through:0} MiB/s (CPU {throughBusy:0}% busy) | {through / direct:0.00}x |"));
            line(string.Create(CultureInfo.InvariantCulture, $"| gateway | CPU seconds per GiB served ({gib:0.0} GiB, /proc/PID/stat) | the registry serving it directly {mirrorDirect:0.00} s/GiB | the gateway {gatewayThrough:0.00} s/GiB (the registry behind it {mirrorThrough:0.00} s/GiB; the gateway's first pull {gatewayFirst:0.00} s/GiB) | target: gateway at most 0.50 s/GiB |"));

            var headDirect = await LatencyAsync(http, $"http://{source.Host}/v2/bench/pull/manifests/1");
            var headThrough = await LatencyAsync(http, $"{gateway}/v2/bench/pull/manifests/1");
            line(string.Create(CultureInfo.InvariantCulture, $"| gateway | manifest HEAD by tag, median of {Heads} | direct to the source {headDirect:0.00} ms | through the gateway {headThrough:0.00} ms | +{headThrough - headDirect:0.00} ms |"));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A process's CPU time so far (user + system), from <c>/proc/PID/stat</c> (clock ticks of 1/100 s).</summary>
    internal static double ProcCpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name (which may hold spaces) start at the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }

    /// <summary>Runs <paramref name="work"/> and says how busy the machine's cores were with these processes meanwhile.</summary>
    private static async Task<(double Result, double BusyPercent)> Busy(Process[] processes, Func<Task<double>> work)
    {
        TimeSpan Cpu() => processes.Aggregate(TimeSpan.Zero, (sum, p) =>
        {
            p.Refresh();
            return sum + p.TotalProcessorTime;
        });
        var before = Cpu();
        var clock = Stopwatch.StartNew();
        var result = await work();
        var used = Cpu() - before;
        return (result, 100 * used.TotalSeconds / (clock.Elapsed.TotalSeconds * Environment.ProcessorCount));
    }

    private static async Task<double> ThroughputAsync(HttpClient http, string url)
    {
        var rates = new List<double>();
        for (var i = 0; i < Pulls; i++)
        {
            var clock = Stopwatch.StartNew();
            var total = await PullAsync(http, url);
            rates.Add(total / (1024.0 * 1024.0) / clock.Elapsed.TotalSeconds);
        }

        return Median(rates);
    }

    /// <summary>Reads the whole answer; returns its length.</summary>
    private static async Task<long> PullAsync(HttpClient http, string url)
    {
        var buffer = new byte[1 << 20];
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static async Task WaitForStartupSyncAsync(HttpClient http, string statusUrl)
    {
        for (var i = 0; i < 600; i++)
        {
            using var status = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(statusUrl));
            if (status.RootElement.TryGetProperty("lastSync", out var last) && last.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{statusUrl} never reported the start-up sync as done");
    }

    private static async Task<double> LatencyAsync(HttpClient http, string url)
    {
        var times = new List<double>();
        for (var i = 0; i < Heads; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, url);
            request.Headers.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        return Median(times);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static async Task WaitAsync(HttpClient http, string url)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{url} did not answer");
    }
}
