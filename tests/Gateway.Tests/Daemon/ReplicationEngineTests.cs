using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Daemon;

/// <summary>
/// The daemon's one engine against real registries: an update that comes while its tag is being
/// copied is never lost, one large image never holds up the small ones behind it, and the
/// reconciler and the queue worker together keep to one stream limit and send each blob once.
/// </summary>
public sealed class ReplicationEngineTests
{
    [Fact]
    public async Task ATagRepointedWhileItsOldImageCopies_EndsAtTheNewDigest_ThroughWebhooks()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var slowSource = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, slowSource.Host, mirror.Host, ["lib/race"]);
        var a = await seeder.PushImageAsync("lib/race", "race", [ImageSeeder.RandomBytes(300_000, 801)]);
        var copying = SlowDown(slowSource, a.LayerDigests[0]);

        Assert.Equal(1, await Webhook.PushAsync(gateway.BaseUri, "lib/race", "race"));
        await copying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var b = await seeder.PushImageAsync("lib/race", "race", [ImageSeeder.RandomBytes(300_000, 802)]);
        var again = await Webhook.PushAsync(gateway.BaseUri, "lib/race", "race");

        Assert.Equal(1, again);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/race", "race") == b.Digest && await QueueDepthAsync(gateway) == 0), gateway.Log);
        Assert.Contains("changed while it was being copied", gateway.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATagPushedTwiceThroughTheGateway_WhileTheFirstCopies_EndsAtTheSecondDigest()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var slowSource = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, slowSource.Host, mirror.Host, ["lib/latest"], auth: "anonymous");
        using var client = new ImageSeeder(gateway.Host);
        var firstLayer = ImageSeeder.RandomBytes(300_000, 811);
        var copying = SlowDown(slowSource, ImageSeeder.DigestOf(firstLayer));

        await client.PushImageAsync("lib/latest", "latest", [firstLayer]);
        await copying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = await client.PushImageAsync("lib/latest", "latest", [ImageSeeder.RandomBytes(300_000, 812)]);

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/latest", "latest") == second.Digest && await QueueDepthAsync(gateway) == 0), gateway.Log);
        var status = await Webhook.StatusAsync(gateway.BaseUri);
        Assert.Equal(0, status.GetProperty("queue").GetProperty("depth").GetInt32());
        Assert.Contains("(push)", gateway.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALargeImageQueuedFirst_DoesNotHoldUpTheSmallOnesQueuedAfterIt()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var slowSource = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var small = Enumerable.Range(0, 20).Select(i => $"lib/small{i:00}").ToArray();
        await using var gateway = await RunningGateway.StartAsync(workspace, slowSource.Host, mirror.Host, ["lib/large", .. small]);
        const long LargeSize = 512L * 1024 * 1024;
        var largeLayer = await seeder.PushGeneratedBlobAsync("lib/large", LargeSize, 820);
        var large = await seeder.PushImageWithLayersAsync("lib/large", "1", [(largeLayer, LargeSize)]);
        var smallImages = new List<SeededImage>();
        for (var i = 0; i < small.Length; i++)
        {
            smallImages.Add(await seeder.PushImageAsync(small[i], "1", [ImageSeeder.RandomBytes(64 * 1024, 830 + i)]));
        }

        // Insurance against a fast machine: the large layer starts coming out of the source 2 s late.
        var copying = SlowDown(slowSource, largeLayer, TimeSpan.FromSeconds(2));
        await Webhook.PushAsync(gateway.BaseUri, "lib/large", "1");
        await copying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        foreach (var repository in small)
        {
            await Webhook.PushAsync(gateway.BaseUri, repository, "1");
        }

        Assert.True(await Wait.UntilAsync(async () => await CountAtMirrorAsync(atMirror, smallImages) == smallImages.Count, seconds: 60), gateway.Log);
        Assert.Null(await atMirror.ManifestDigestAsync("mirror/large", "1"));
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/large", "1") == large.Digest, seconds: 180), gateway.Log);
    }

    [Fact]
    public async Task TheReconcilerAndTheWorkerTogether_KeepToOneStreamLimit_AndSendEachBlobOnce()
    {
        const int Proc = 2;
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var watchedMirror = await FaultProxy.StartAsync(mirror.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var repositories = Enumerable.Range(0, 6).Select(i => $"lib/shared{i}").ToArray();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, watchedMirror.Host, repositories, pollInterval: "1s", concurrency: Proc);

        var streams = new InFlight();
        var uploads = new ConcurrentBag<string>();
        watchedMirror.Around = async context =>
        {
            if (!IsBlobBody(context.Request))
            {
                return null;
            }

            uploads.Add(context.Request.QueryString.Value ?? string.Empty);
            var stream = streams.Enter();
            await Task.Delay(250);
            return stream;
        };

        var shared = ImageSeeder.RandomBytes(200_000, 840);
        var images = new List<SeededImage>();
        foreach (var (repository, i) in repositories.Select((r, i) => (r, i)))
        {
            images.Add(await seeder.PushImageAsync(repository, "1", [shared, ImageSeeder.RandomBytes(50_000, 850 + (2 * i))]));
            images.Add(await seeder.PushImageAsync(repository, "2", [shared, ImageSeeder.RandomBytes(50_000, 851 + (2 * i))]));
        }

        // The events and the next poll find the same images at once.
        foreach (var image in images)
        {
            await Webhook.PushAsync(gateway.BaseUri, image.Repository, image.Tag);
        }

        Assert.True(await Wait.UntilAsync(async () => await CountAtMirrorAsync(atMirror, images) == images.Count, seconds: 90), gateway.Log);
        Assert.InRange(streams.Peak, 1, Proc);
        foreach (var digest in images.SelectMany(i => i.LayerDigests).Distinct())
        {
            Assert.Equal(1, uploads.Count(q => q.Contains("digest=" + Uri.EscapeDataString(digest), StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task AnEventForATagTheSourceDoesNotHave_EndsItsEntry_RecordedAsGone()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        await seeder.PushImageAsync("lib/gone", "1", [ImageSeeder.RandomBytes(1000, 870)]);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/gone"]);

        // The scheme of the Authorization header is case-insensitive.
        Assert.Equal(1, await Webhook.PushAsync(gateway.BaseUri, "lib/gone", "deleted", scheme: "bearer"));

        Assert.True(await Wait.UntilAsync(async () => await QueueDepthAsync(gateway) == 0, seconds: 15), gateway.Log);
        var failure = (await Webhook.StatusAsync(gateway.BaseUri)).GetProperty("recentFailures")[0];
        Assert.Equal($"{source.Host}/lib/gone:deleted", failure.GetProperty("source").GetString());
        Assert.Contains("does not exist at the source", failure.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("is gone from the source", gateway.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("queued again", gateway.Log, StringComparison.Ordinal);
    }

    /// <summary>Delays the source's answer for one blob; the task completes when it is first asked for.</summary>
    private static TaskCompletionSource SlowDown(FaultProxy proxy, string digest, TimeSpan? delay = null)
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Fault = async context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.EndsWith(digest, StringComparison.Ordinal))
            {
                asked.TrySetResult();
                await Task.Delay(delay ?? TimeSpan.FromSeconds(2));
            }

            return false;
        };
        return asked;
    }

    private static bool IsBlobBody(HttpRequest request) =>
        (HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
        && request.Path.Value!.Contains("/blobs/uploads/", StringComparison.Ordinal)
        && request.ContentLength > 0;


    private static async Task<int> CountAtMirrorAsync(ImageSeeder mirror, IEnumerable<SeededImage> images)
    {
        var present = 0;
        foreach (var image in images)
        {
            var name = "mirror/" + image.Repository[(image.Repository.LastIndexOf('/') + 1)..];
            present += await mirror.ManifestDigestAsync(name, image.Tag) == image.Digest ? 1 : 0;
        }

        return present;
    }

    private static async Task<int> QueueDepthAsync(RunningGateway gateway) =>
        (await Webhook.StatusAsync(gateway.BaseUri)).GetProperty("queue").GetProperty("depth").GetInt32();

}
