using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// On a far network a blob's two round trips (the source's GET, the destination's PUT) overlap:
/// over real sockets, between real registries, the PUT's request reaches the destination while
/// the source has not yet answered the GET whose bytes it carries.
/// </summary>
public sealed class OverlappedUploadTests
{
    [Fact]
    public async Task ABlobsPut_ReachesTheDestination_BeforeTheSourceAnswersItsGet()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var sourceHop = await FaultProxy.StartAsync(source.BaseUri);
        await using var destination = await RegistryProcess.StartAsync();
        await using var destinationHop = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        var layer = ImageSeeder.RandomBytes(256 * 1024, 970);
        var image = await seeder.PushImageAsync("lib/app", "1", [layer]);
        var layerDigest = ImageSeeder.DigestOf(layer);

        // The source answers the layer's GET only once the destination has the PUT that carries it
        // (or after ten seconds, which the test then reports).
        var putSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answeredBeforeThePut = 0;
        destinationHop.Around = context =>
        {
            if (context.Request.Method == "PUT" && Uri.UnescapeDataString(context.Request.QueryString.Value ?? string.Empty).Contains($"digest={layerDigest}", StringComparison.Ordinal))
            {
                putSeen.TrySetResult();
            }

            return Task.FromResult<IDisposable?>(null);
        };
        sourceHop.Around = async context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.EndsWith($"/blobs/{layerDigest}", StringComparison.Ordinal))
            {
                try
                {
                    await putSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref answeredBeforeThePut);
                }
            }

            return null;
        };
        var config = workspace.Write("far.yaml", $$"""
            registries:
              "{{sourceHop.Host}}": {insecure: true}
              "{{destinationHop.Host}}": {insecure: true}
            rules:
              - source: {{sourceHop.Host}}/lib/app
                destination: {{destinationHop.Host}}/m/app
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Synced 1, already in sync 0, failed 0", run.Out, StringComparison.Ordinal);
        Assert.True(answeredBeforeThePut == 0, $"the layer's PUT reached the destination only after the source answered its GET:\n{string.Join("\n", destinationHop.Requests)}");
        Assert.Equal(1, sourceHop.Requests.Count(r => r == $"GET /v2/lib/app/blobs/{layerDigest}"));
        Assert.Equal(image.Digest, await ManifestDigestAsync(destination.Host, "m/app", "1"));
    }

    private static async Task<string> ManifestDigestAsync(string registry, string repository, string tag)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{registry}/v2/{repository}/manifests/{tag}");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
