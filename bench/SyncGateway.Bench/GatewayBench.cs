using System.Diagnostics;
using System.Globalization;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// Pulls the same content straight from the registries and through <c>syncgateway serve</c>, in
/// one run: the throughput of a large blob served from the mirror, and the latency of a manifest
/// HEAD by tag (which the gateway resolves at the source, then answers from the mirror).
/// </summary>
/// <remarks>
/// <c>SYNCGATEWAY_BENCH_BASELINE</c> names other builds (an earlier commit's, or a script that runs
/// one with other settings; several separated by <c>:</c>) served side by side with this one in the
/// same run: each gets its own <c>serve</c> process in front of the same registries, and the
/// measured pulls take turns (direct, this build, each baseline, and again), so every build sees
/// the same moments of a shared machine. Each build is served in each role of
/// <c>SYNCGATEWAY_BENCH_ROLES</c> (<c>all,gateway</c>: the whole daemon, and a gateway replica).
/// <c>SYNCGATEWAY_BENCH_PULLS</c> sets the pulls per build (3).
/// </remarks>
internal static class GatewayBench
{
    private const long LargeBlob = 512L << 20;
    private const int Heads = 500;

    private static readonly int Pulls = int.TryParse(Environment.GetEnvironmentVariable("SYNCGATEWAY_BENCH_PULLS"), CultureInfo.InvariantCulture, out var pulls) && pulls > 0 ? pulls : 3;

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

        var binaries = new List<(string Name, string Binary)> { ("the gateway", syncgateway) };
        if (Environment.GetEnvironmentVariable("SYNCGATEWAY_BENCH_BASELINE") is { Length: > 0 } baselines)
        {
            binaries.AddRange(baselines.Split(':').Select(b => ($"baseline {Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(b)))}/{Path.GetFileName(b)}", Path.GetFullPath(b))));
        }

        var roles = (Environment.GetEnvironmentVariable("SYNCGATEWAY_BENCH_ROLES") ?? "all,gateway").Split(',');
        var builds = binaries.SelectMany(b => roles.Select(role => new GatewayBuild($"{b.Name}, --role {role}", b.Binary, role))).ToList();

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            foreach (var build in builds)
            {
                await build.StartAsync(http, folder, source.Host, mirror.Host);
            }

            using var probe = new HttpRequestMessage(HttpMethod.Get, $"http://{mirror.Host}/v2/mirror/pull/manifests/1");
            probe.Headers.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
            using var manifest = await http.SendAsync(probe);
            var blob = System.Text.Json.JsonDocument.Parse(await manifest.Content.ReadAsByteArrayAsync()).RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
            var direct = new Pulled($"http://{mirror.Host}/v2/mirror/pull/blobs/{blob}", null);
            builds.ForEach(b => b.Through.Complete(blob));
            var mirrorPid = mirror.ProcessId;
            var all = new[] { Process.GetCurrentProcess(), Process.GetProcessById(mirrorPid) }.Concat(builds.Select(b => b.Serve!)).ToArray();
            var load = FarBench.LoadAverage();

            // The first pull through a fresh gateway also pays for compiling its code (JIT and tiering):
            // measured on its own, then the pulls below measure serving. The direct path gets the same first pull.
            await PullAsync(http, direct.Url);
            foreach (var build in builds)
            {
                var before = ProcCpuSeconds(build.Serve!.Id);
                await PullAsync(http, build.Through.Url);
                build.First = (ProcCpuSeconds(build.Serve.Id) - before) / (LargeBlob / (double)(1L << 30));
            }

            for (var i = 0; i < Pulls; i++)
            {
                await direct.PullAsync(http, all, mirrorPid);
                foreach (var build in builds)
                {
                    await build.Through.PullAsync(http, all, mirrorPid);
                }
            }

            load = $"{load} at the start, {FarBench.LoadAverage()} at the end";
            var gib = Pulls * (double)LargeBlob / (1L << 30);
            foreach (var build in builds)
            {
                var through = build.Through;
                var label = builds.Count > 1 ? $" ({build.Name})" : string.Empty;
                line(string.Create(CultureInfo.InvariantCulture, $"| gateway{label} | large blob (512 MiB) GET, median of {Pulls} | direct from the mirror {direct.Median:0} MiB/s (CPU {direct.Busy:0}% busy) | through the gateway {through.Median:0} MiB/s (CPU {through.Busy:0}% busy) | {through.Median / direct.Median:0.00}x |"));
                line(string.Create(CultureInfo.InvariantCulture, $"| gateway{label} | CPU seconds per GiB served ({gib:0.0} GiB, /proc/PID/stat; load average {load}) | the registry serving it directly {direct.MirrorCpu / gib:0.00} s/GiB | the gateway {through.ServeCpu / gib:0.00} s/GiB (the registry behind it {through.MirrorCpu / gib:0.00} s/GiB; the gateway's first pull {build.First:0.00} s/GiB) | target: gateway at most 0.50 s/GiB |"));
            }

            var headDirect = await LatencyAsync(http, $"http://{source.Host}/v2/bench/pull/manifests/1");
            foreach (var build in builds)
            {
                var headThrough = await LatencyAsync(http, $"{build.Gateway}/v2/bench/pull/manifests/1");
                var label = builds.Count > 1 ? $" ({build.Name})" : string.Empty;
                line(string.Create(CultureInfo.InvariantCulture, $"| gateway{label} | manifest HEAD by tag, median of {Heads} | direct to the source {headDirect:0.00} ms | through the gateway {headThrough:0.00} ms | +{headThrough - headDirect:0.00} ms |"));
            }
        }
        finally
        {
            foreach (var build in builds.Where(b => b.Serve is not null))
            {
                build.Serve!.Kill(entireProcessTree: true);
                await build.Serve.WaitForExitAsync();
                build.Serve.Dispose();
            }

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

    /// <summary>Reads the whole answer; returns its length.</summary>
    internal static async Task<long> PullAsync(HttpClient http, string url)
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

    internal static async Task WaitForStartupSyncAsync(HttpClient http, string statusUrl)
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

    internal static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    internal static async Task WaitAsync(HttpClient http, string url)
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
