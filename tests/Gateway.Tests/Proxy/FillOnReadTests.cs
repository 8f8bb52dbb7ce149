using System.Net;
using System.Security.Cryptography;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// Reads the mirror cannot serve fill it: a pinned pull queues its image by digest, a blob the
/// mirror lacks is read from the source once however many clients ask at the same time (streamed
/// to the first client and into the mirror as a verified upload; the others are served from the
/// mirror after), a client that goes away does not stop the fill, and a source that breaks off
/// leaves nothing half-written at the mirror.
/// </summary>
public sealed class FillOnReadTests
{
    private const string Backend = "X-SyncGateway-Backend";

    [Fact]
    public async Task APinnedPull_ThatTheMirrorLacks_FillsTheMirror()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/pin"]);
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var image = await seeder.PushImageAsync("lib/pin", "1", [ImageSeeder.GzipBytes(30_000, 390)]);

        var pulled = await Skopeo.ManifestDigestAsync($"{gateway.Host}/lib/pin@{image.Digest}");

        Assert.Equal(image.Digest, pulled);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/pin", image.Digest) == image.Digest), gateway.Log);
        Assert.True(await atMirror.BlobExistsAsync("mirror/pin", image.LayerDigests[0]));
        Assert.Contains("@" + image.Digest + " for 1 destination(s) (read_miss)", gateway.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABlobReadWithoutItsManifest_QueuesTheRepositoryTags()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/loose"]);
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var image = await seeder.PushImageAsync("lib/loose", "7", [ImageSeeder.GzipBytes(30_000, 391)]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var blob = await http.GetAsync($"v2/lib/loose/blobs/{image.LayerDigests[0]}");

        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        Assert.Equal("source", blob.Headers.GetValues(Backend).Single());
        Assert.Equal(image.LayerDigests[0], ImageSeeder.DigestOf(await blob.Content.ReadAsByteArrayAsync()));
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/loose", "7") == image.Digest), gateway.Log);
    }

    /// <remarks>
    /// <c>--role gateway</c> (its replicator unreachable) measures the fills alone; with the
    /// replicator in the process (<c>--role all</c>), the copy the first manifest miss queues takes
    /// its turn with the fills on the same blobs, and the bound still holds.
    /// </remarks>
    [Theory]
    [InlineData("gateway")]
    [InlineData("all")]
    public async Task TenConcurrentColdPulls_CostTheSourceAtMostOnePointTwoTimesTheImage(string role)
    {
        const long layerSize = 32L << 20;
        await using var source = await RegistryProcess.StartAsync();
        await using var counted = await FaultProxy.StartAsync(source.BaseUri);
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, counted.Host, mirror.Host, ["lib/cold"], role: role, replicator: role == "gateway" ? "http://127.0.0.1:1/" : null);
        var layer = await seeder.PushGeneratedBlobAsync("lib/cold", layerSize, 392);
        var image = await seeder.PushImageWithLayersAsync("lib/cold", "1", [(layer, layerSize)]);
        var before = counted.BytesServed;

        var pulls = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            var folder = Path.Combine(workspace.Folder, $"pull-{i}");
            await Skopeo.CopyAsync($"docker://{gateway.Host}/lib/cold:1", $"dir:{folder}");
            return folder;
        }));

        var served = counted.BytesServed - before;
        Assert.True(served <= 1.2 * image.Size, $"the source served {served} bytes for 10 pulls of an image of {image.Size} bytes: {gateway.Log}");
        foreach (var folder in pulls)
        {
            await using var file = File.OpenRead(Path.Combine(folder, layer["sha256:".Length..]));
            Assert.Equal(layer, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
        }

        Assert.True(await atMirror.BlobExistsAsync("mirror/cold", layer));
        if (role == "gateway")
        {
            Assert.Single(gateway.Log.Split('\n'), l => l.Contains($"Filled the mirror with {layer}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AClientThatGoesAwayMidBlob_DoesNotStopTheFill()
    {
        const long size = 16L << 20;
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/left"], role: "gateway", replicator: "http://127.0.0.1:1/");
        var layer = await seeder.PushGeneratedBlobAsync("lib/left", size, 393);
        await seeder.PushImageWithLayersAsync("lib/left", "1", [(layer, size)]);

        using (var http = new HttpClient { BaseAddress = gateway.BaseUri })
        {
            using var response = await http.GetAsync($"v2/lib/left/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var start = new byte[1 << 20];
            await body.ReadExactlyAsync(start);
        }

        // The mirror commits the blob a moment before the fill says so.
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(gateway.Log.Contains($"Filled the mirror with {layer}", StringComparison.Ordinal))), gateway.Log);
        Assert.True(await atMirror.BlobExistsAsync("mirror/left", layer));
        using var direct = new HttpClient { BaseAddress = mirror.BaseUri };
        await using var stored = await direct.GetStreamAsync($"v2/mirror/left/blobs/{layer}");
        Assert.Equal(layer, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stored)));
    }

    [Fact]
    public async Task ASourceThatBreaksOffMidBlob_LeavesNothingAtTheMirror_AndTheClientSeesAnError()
    {
        var layer = ImageSeeder.RandomBytes(4 << 20, 394);
        await using var source = await RegistryProcess.StartAsync();
        await using var broken = await FaultProxy.StartAsync(source.BaseUri);
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, broken.Host, mirror.Host, ["lib/broken"]);
        var image = await seeder.PushImageAsync("lib/broken", "1", [layer]);
        var digest = image.LayerDigests[0];
        broken.Fault = async context =>
        {
            if (context.Request.Method != "GET" || !context.Request.Path.Value!.EndsWith(digest, StringComparison.Ordinal))
            {
                return false;
            }

            // Half the blob, then the connection drops; a resumed read (Range) drops at once.
            context.Response.ContentLength = layer.Length;
            if (context.Request.Headers.Range.Count == 0)
            {
                await context.Response.Body.WriteAsync(layer.AsMemory(0, layer.Length / 2));
                await context.Response.Body.FlushAsync();
            }

            context.Abort();
            return true;
        };
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        string outcome;
        try
        {
            using var response = await http.GetAsync($"v2/lib/broken/blobs/{digest}");
            outcome = $"answered {(int)response.StatusCode} with {(await response.Content.ReadAsByteArrayAsync()).Length} bytes";
        }
        catch (HttpRequestException)
        {
            outcome = "broken off";
        }

        Assert.True(outcome == "broken off", $"{outcome}: {gateway.Log} {string.Join('\n', broken.Requests)}");
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(gateway.Log.Contains("Could not fill the mirror with " + digest, StringComparison.Ordinal))), gateway.Log);
        Assert.False(await atMirror.BlobExistsAsync("mirror/broken", digest));
    }
}
