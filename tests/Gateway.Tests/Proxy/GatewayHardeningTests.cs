using System.Net;
using System.Net.Http.Headers;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// What the gateway refuses or repairs before it reaches a client or an upstream: dot segments
/// in the request target as the client sent it, and an upstream error answer whose body
/// contradicts its own Content-Length (distribution's 416).
/// </summary>
public sealed class GatewayHardeningTests
{
    [Theory]
    [InlineData("POST", "/v2/demo/../conf-b/blobs/uploads/")]
    [InlineData("POST", "/v2/demo/%2e%2e/conf-b/blobs/uploads/")]
    [InlineData("POST", "/v2/demo/%2E%2E/conf-b/blobs/uploads/")]
    [InlineData("GET", "/v2/demo/./conf-b/manifests/1")]
    [InlineData("GET", "/v2/demo/app/../../conf-b/tags/list")]
    public async Task DotSegmentsInTheRawTarget_Get400NameInvalid_AndNeverReachTheSource(string method, string target)
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var watched = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, watched.Host, mirror.Host, ["conf-b", "demo"]);
        watched.Requests.Clear();

        var (status, answer) = await RawHttp.SendAsync(gateway.Host, method, target);

        Assert.Equal(400, status);
        Assert.Contains("\"code\":\"NAME_INVALID\"", answer, StringComparison.Ordinal);
        Assert.Empty(watched.Requests);
    }

    [Theory]
    [InlineData("lib/plain")]
    [InlineData("lib/mirrored")]
    public async Task ARangeOutsideTheBlob_Gets416WithAnOciBody_AndACompleteAnswer(string repository)
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var layer = ImageSeeder.RandomBytes(100_000, 360);
        var image = await seeder.PushImageAsync(repository, "1", [layer]);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/mirrored"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{image.LayerDigests[0]}");
        request.Headers.Range = new RangeHeaderValue(200_000, 300_000);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */100000", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Contains("\"code\":\"RANGE_INVALID\"", body, StringComparison.Ordinal);

        // The connection is still good for the next request.
        using var whole = await http.GetAsync($"v2/{repository}/blobs/{image.LayerDigests[0]}");
        Assert.Equal(layer, await whole.Content.ReadAsByteArrayAsync());
    }
}
