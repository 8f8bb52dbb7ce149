using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// The daemon under trouble: killed with SIGKILL in the middle of a multi-layer copy and started
/// again, and a source that answers 503 for a while.
/// </summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task KilledMidCopy_AndRestarted_FinishesWithIdenticalDigests_WithoutSendingACommittedBlobAgain()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
                await using var watchedMirror = await FaultProxy.StartAsync(mirror.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var layers = Enumerable.Range(0, 6).Select(i => ImageSeeder.RandomBytes(200_000, 700 + i)).ToArray();
        var image = await seeder.PushImageAsync("lib/big", "1", layers);

        // Each layer takes a second to go into the mirror, two at a time (concurrency 2), so the kill lands mid-copy.
        var slowUploads = true;
        watchedMirror.Around = async context =>
        {
            if (Volatile.Read(ref slowUploads) && context.Request.Method == "PUT" && context.Request.ContentLength > 0)
            {
                await Task.Delay(1000);
            }

            return null;
        };
        var port = RegistryProcess.FreePort();
        var config = Config(workspace, source.Host, watchedMirror.Host, port);

        using (var first = await ServeProcess.StartAsync(config, port))
        {
            await WebhookAsync(port, "lib/big", "1");
            Assert.True(await Wait.UntilAsync(async () => await CountPresentAsync(atMirror, image) >= 2), first.Output);
            first.Kill();
        }

        var committed = new List<string>();
        foreach (var digest in image.LayerDigests)
        {
            if (await atMirror.BlobExistsAsync("mirror/big", digest))
            {
                committed.Add(digest);
            }
        }

        Assert.InRange(committed.Count, 1, layers.Length - 1);
        Volatile.Write(ref slowUploads, false);
        watchedMirror.Requests.Clear();

        using (var second = await ServeProcess.StartAsync(config, port))
        {
            Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/big", "1") == image.Digest, seconds: 60), second.Output);
        }

        foreach (var digest in committed)
        {
            Assert.DoesNotContain(watchedMirror.Requests, r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString(digest), StringComparison.Ordinal));
        }

        Assert.Equal(image.Digest, await Skopeo.ManifestDigestAsync($"{mirror.Host}/mirror/big:1"));
    }

    [Fact]
    public async Task ASourceAnswering503ForAWhile_DelaysReplication_ButLosesNothing()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var flaky = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, flaky.Host, mirror.Host, ["lib/patient"]);
        var image = await seeder.PushImageAsync("lib/patient", "1", [ImageSeeder.RandomBytes(10_000, 720)]);
        var until = DateTime.UtcNow.AddSeconds(6);
        var refused = 0;
        flaky.Fault = async context =>
        {
            if (DateTime.UtcNow < until)
            {
                Interlocked.Increment(ref refused);
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("""{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}""");
                return true;
            }

            return false;
        };

        await WebhookAsync(gateway.Port, "lib/patient", "1");

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/patient", "1") == image.Digest, seconds: 60), gateway.Log);
        Assert.True(refused > 0, "the source must have refused some requests");
        Assert.Contains("queued again", gateway.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGracefulShutdown_LetsTheCopyInFlightFinish()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var slowSource = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var blobRequests = 0;
        slowSource.Fault = async context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/blobs/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref blobRequests);
                await Task.Delay(1500);
            }

            return false;
        };

        var gateway = await RunningGateway.StartAsync(workspace, slowSource.Host, mirror.Host, ["lib/slow"]);
        var image = await seeder.PushImageAsync("lib/slow", "1", [ImageSeeder.RandomBytes(50_000, 730), ImageSeeder.RandomBytes(50_000, 731)]);
        await WebhookAsync(gateway.Port, "lib/slow", "1");
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref blobRequests) > 0)), gateway.Log);
        await gateway.DisposeAsync();

        Assert.Equal(image.Digest, await atMirror.ManifestDigestAsync("mirror/slow", "1"));
    }

    private static string Config(Workspace workspace, string source, string mirror, int port) =>
        workspace.Write("daemon.yaml", $"""
            registries:
              "{source}": {"{"}insecure: true{"}"}
              "{mirror}": {"{"}insecure: true{"}"}
            rules:
              - source: {source}/lib/big
                destination: {mirror}/mirror/big
            replicator:
              records: {workspace.Records}
              pollInterval: 0
              concurrency: 2
            webhooks:
              secret: test-secret
            gateway:
              listen: http://127.0.0.1:{port}
              source: {source}
              mirror: {mirror}
            """);

    private static async Task<int> CountPresentAsync(ImageSeeder registry, SeededImage image)
    {
        var present = 0;
        foreach (var digest in image.LayerDigests)
        {
            present += await registry.BlobExistsAsync("mirror/big", digest) ? 1 : 0;
        }

        return present;
    }

    private static async Task WebhookAsync(int port, string repository, string tag)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/api/webhooks/distribution")
        {
            Content = new StringContent($$$"""{"events": [{"action": "push", "target": {"repository": "{{{repository}}}", "tag": "{{{tag}}}"} }]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "test-secret");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
