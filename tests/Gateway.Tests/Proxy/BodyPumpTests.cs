using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// Blobs of a mebibyte or more, which the gateway sends in large chunks instead of through
/// YARP's copier: they arrive whole (and ranges of them exactly), and one the mirror breaks off
/// halfway reaches the client as a broken answer, never as a short one that looks complete.
/// </summary>
public sealed class BodyPumpTests
{
    private const long Size = 5L << 20;

    [Fact]
    public async Task ALargeBlobFromTheMirror_ArrivesWhole_ARangeOfItExactly_AndOneBrokenOffBreaksTheAnswer()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var hop = await FaultProxy.StartAsync(mirror.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var layer = await seeder.PushGeneratedBlobAsync("lib/big", Size, 390);
        await seeder.PushImageWithLayersAsync("lib/big", "1", [(layer, Size)]);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, hop.Host, ["lib/big"]);
        using var atMirror = new ImageSeeder(mirror.Host);
        Assert.True(await atMirror.BlobExistsAsync("mirror/big", layer), gateway.Log);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using (var whole = await http.GetAsync($"v2/lib/big/blobs/{layer}"))
        {
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
            Assert.Equal("mirror", whole.Headers.GetValues("X-SyncGateway-Backend").Single());
            var bytes = await whole.Content.ReadAsByteArrayAsync();
            Assert.Equal(Size, bytes.LongLength);
            Assert.Equal(layer, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"v2/lib/big/blobs/{layer}"))
        {
            request.Headers.Range = new RangeHeaderValue(1_000_000, 3_500_000);
            using var range = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
            var part = await range.Content.ReadAsByteArrayAsync();
            using var direct = new HttpClient();
            using var straight = new HttpRequestMessage(HttpMethod.Get, new Uri(mirror.BaseUri, $"v2/mirror/big/blobs/{layer}"));
            straight.Headers.Range = new RangeHeaderValue(1_000_000, 3_500_000);
            using var expected = await direct.SendAsync(straight);
            Assert.Equal(await expected.Content.ReadAsByteArrayAsync(), part);
        }

        // The mirror promises the whole blob, sends half of it and drops the connection.
        hop.Fault = async context =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) || !context.Request.Path.Value!.EndsWith($"/blobs/{layer}", StringComparison.Ordinal))
            {
                return false;
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentLength = Size;
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(ImageSeeder.RandomBytes((int)(Size / 2), 391));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return true;
        };
        using var broken = await http.GetAsync($"v2/lib/big/blobs/{layer}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, broken.StatusCode);
        await using var body = await broken.Content.ReadAsStreamAsync();
        var received = 0L;
        var buffer = new byte[1 << 20];
        var failure = await Record.ExceptionAsync(async () =>
        {
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        });
        Assert.True(failure is IOException or HttpRequestException, $"{received} of {Size} bytes, then {failure?.ToString() ?? "a clean end"}");
        Assert.True(received < Size, $"{received} of {Size} bytes");
    }
}
