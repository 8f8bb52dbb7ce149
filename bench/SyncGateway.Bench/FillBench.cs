using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// Fill on read: ten clients pull the same image, 256 MiB and not yet at the mirror, through
/// <c>syncgateway serve</c> at the same moment. A counting hop in front of the source says how
/// many bytes the source served; the bound is 1.2 times the image.
/// </summary>
internal static class FillBench
{
    private const long Layer = 256L << 20;
    private const int Clients = 10;

    public static async Task RunAsync(string syncgateway, Action<string> line)
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var counted = await FaultProxy.StartAsync(source.BaseUri);
        await using var mirror = await RegistryProcess.StartAsync();
        var folder = Directory.CreateTempSubdirectory("syncgateway-bench-fill-").FullName;
        var port = RegistryProcess.FreePort();
        var config = Path.Combine(folder, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"""
            registries:
              "{counted.Host}": {"{"}insecure: true{"}"}
              "{mirror.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {counted.Host}/bench/cold
                destination: {mirror.Host}/mirror/cold
            replicator:
              records: {Path.Combine(folder, "records.db")}
              pollInterval: 0
            gateway:
              listen: http://127.0.0.1:{port}
              source: {counted.Host}
              mirror: {mirror.Host}
            """);
        using var serve = Process.Start(new ProcessStartInfo(syncgateway, ["serve", "--config", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        serve.BeginErrorReadLine();
        serve.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            var gateway = $"http://127.0.0.1:{port}";
            for (var i = 0; i < 100; i++)
            {
                try
                {
                    using var health = await http.GetAsync($"{gateway}/healthz");
                    if (health.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100);
            }

            // Seeded after the gateway's start-up sync, so the mirror lacks it.
            await Task.Delay(2000);
            SeededImage image;
            using (var seeder = new ImageSeeder(source.Host))
            {
                var layer = await seeder.PushGeneratedBlobAsync("bench/cold", Layer, 77);
                image = await seeder.PushImageWithLayersAsync("bench/cold", "1", [(layer, Layer)]);
            }

            var before = counted.BytesServed;
            var gatewayCpu = GatewayBench.ProcCpuSeconds(serve.Id);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => PullAsync(http, gateway)));
            var wall = clock.Elapsed.TotalSeconds;
            var served = counted.BytesServed - before;
            var cpu = GatewayBench.ProcCpuSeconds(serve.Id) - gatewayCpu;
            line(string.Create(CultureInfo.InvariantCulture, $"| gateway | {Clients} concurrent pulls of an uncached {image.Size / (1 << 20)} MiB image | the source served {served / (double)(1 << 20):0.0} MiB = {served / (double)image.Size:0.00}x the image (bound 1.20x) | all {Clients} pulls done in {wall:0.0} s, gateway CPU {cpu:0.0} s | {(served <= 1.2 * image.Size ? "bound met" : "BOUND NOT MET")} |"));
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    // What a client's pull reads: the manifest by tag, then every blob, each checked against its digest.
    private static async Task PullAsync(HttpClient http, string gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{gateway}/v2/bench/cold/manifests/1");
        request.Headers.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
        using var manifest = await http.SendAsync(request);
        manifest.EnsureSuccessStatusCode();
        using var document = System.Text.Json.JsonDocument.Parse(await manifest.Content.ReadAsByteArrayAsync());
        var digests = document.RootElement.GetProperty("layers").EnumerateArray().Append(document.RootElement.GetProperty("config"))
            .Select(d => d.GetProperty("digest").GetString()!);
        foreach (var digest in digests)
        {
            using var blob = await http.GetAsync($"{gateway}/v2/bench/cold/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
            blob.EnsureSuccessStatusCode();
            await using var body = await blob.Content.ReadAsStreamAsync();
            var hash = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(body));
            if (hash != digest)
            {
                throw new InvalidOperationException($"{digest} arrived as {hash}");
            }
        }
    }
}
