using Microsoft.AspNetCore.Http;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// Read once, write many, against real registries: one source image with several destinations is
/// read from the source once, whatever the number of destinations (the source behind a proxy that
/// logs every request), and a destination that fails mid-stream neither fails nor corrupts the others.
/// </summary>
public sealed class ReadOnceWriteManyTests
{
    [Fact]
    public async Task ARuleWithDestinationsOnThreeRegistries_AndTwoRepositoriesOnOne_ReadsEachBlobFromTheSourceOnce()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var watched = await FaultProxy.StartAsync(source.BaseUri);
        await using var first = await RegistryProcess.StartAsync();
        await using var firstWatched = await FaultProxy.StartAsync(first.BaseUri);
        await using var second = await RegistryProcess.StartAsync();
        await using var third = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();

        // Layers of several buffers' worth, so the shared read streams through its window.
        var shared = ImageSeeder.RandomBytes(3 * 1024 * 1024, 950);
        var images = new[]
        {
            await seeder.PushImageAsync("lib/app", "1", [shared, ImageSeeder.RandomBytes(2 * 1024 * 1024, 951)]),
            await seeder.PushImageAsync("lib/app", "2", [shared, ImageSeeder.RandomBytes(1024 * 1024, 952), ImageSeeder.RandomBytes(40_000, 953)]),
        };
        var config = workspace.Write("fan.yaml", $$"""
            registries:
              "{{watched.Host}}": {insecure: true}
              "{{firstWatched.Host}}": {insecure: true}
              "{{second.Host}}": {insecure: true}
              "{{third.Host}}": {insecure: true}
            rules:
              - source: {{watched.Host}}/lib/app
                destinations: [{{firstWatched.Host}}/m/app, {{firstWatched.Host}}/n/app, {{second.Host}}/m/app, {{third.Host}}/m/app]
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Synced 8, already in sync 0, failed 0", run.Out, StringComparison.Ordinal);
        var blobs = images.SelectMany(i => BlobsOf(i)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var blob in blobs)
        {
            Assert.True(Gets(watched, blob) == 1, $"{blob} was read {Gets(watched, blob)} times from the source:\n{string.Join("\n", watched.Requests)}");

            // Into the registry with two repositories it went up once; the second repository mounted it.
            Assert.True(Uploads(firstWatched, blob) == 1, $"{blob} went up {Uploads(firstWatched, blob)} times to {firstWatched.Host}:\n{string.Join("\n", firstWatched.Requests)}");
        }

        foreach (var image in images)
        {
            Assert.Equal(1, watched.Requests.Count(r => r.StartsWith($"GET /v2/lib/app/manifests/", StringComparison.Ordinal) && (r.EndsWith("/" + image.Tag, StringComparison.Ordinal) || r.EndsWith(image.Digest, StringComparison.Ordinal))));
            await AssertAtAsync(first.Host, "m/app", image);
            await AssertAtAsync(first.Host, "n/app", image);
            await AssertAtAsync(second.Host, "m/app", image);
            await AssertAtAsync(third.Host, "m/app", image);
        }
    }

    [Fact]
    public async Task ADestinationThatFailsMidStream_DoesNotFailTheOthers_AndTriesAgainAlone()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var watched = await FaultProxy.StartAsync(source.BaseUri);
        await using var good = await RegistryProcess.StartAsync();
        await using var other = await RegistryProcess.StartAsync();
        await using var flaky = await RegistryProcess.StartAsync();
        await using var breaking = await FaultProxy.StartAsync(flaky.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var workspace = new Workspace();
        var large = ImageSeeder.RandomBytes(4 * 1024 * 1024, 960);
        var image = await seeder.PushImageAsync("lib/app", "1", [large, ImageSeeder.RandomBytes(30_000, 961)]);
        var largeDigest = ImageSeeder.DigestOf(large);

        // The first upload of the large layer to the flaky registry is cut off after 1 MiB of its body.
        var broken = 0;
        breaking.Fault = async context =>
        {
            if (!HttpMethods.IsPut(context.Request.Method) || !context.Request.QueryString.Value!.Contains(Uri.EscapeDataString(largeDigest), StringComparison.Ordinal) || Interlocked.Exchange(ref broken, 1) == 1)
            {
                return false;
            }

            var buffer = new byte[64 * 1024];
            for (var got = 0; got < 1024 * 1024;)
            {
                var read = await context.Request.Body.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                got += read;
            }

            context.Abort();
            return true;
        };
        var config = workspace.Write("fan.yaml", $$"""
            registries:
              "{{watched.Host}}": {insecure: true}
              "{{good.Host}}": {insecure: true}
              "{{other.Host}}": {insecure: true}
              "{{breaking.Host}}": {insecure: true}
            rules:
              - source: {{watched.Host}}/lib/app
                destinations: [{{good.Host}}/m/app, {{breaking.Host}}/m/app, {{other.Host}}/m/app]
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(1, broken);
        Assert.Contains("Synced 3, already in sync 0, failed 0", run.Out, StringComparison.Ordinal);
        Assert.Contains("trying again alone", run.Error + run.Out, StringComparison.Ordinal);

        // One shared read for all three, and one more for the flaky registry alone; every other blob once.
        Assert.Equal(2, Gets(watched, largeDigest));
        foreach (var blob in BlobsOf(image).Where(b => b != largeDigest))
        {
            Assert.Equal(1, Gets(watched, blob));
        }

        await AssertAtAsync(good.Host, "m/app", image);
        await AssertAtAsync(other.Host, "m/app", image);
        await AssertAtAsync(flaky.Host, "m/app", image);
    }

    private static IEnumerable<string> BlobsOf(SeededImage image) =>
        image.LayerDigests.Append(System.Text.Json.JsonDocument.Parse(image.Manifest).RootElement.GetProperty("config").GetProperty("digest").GetString()!);

    private static int Gets(FaultProxy proxy, string digest) =>
        proxy.Requests.Count(r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("/blobs/" + digest, StringComparison.Ordinal));

    private static int Uploads(FaultProxy proxy, string digest) =>
        proxy.Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString(digest), StringComparison.Ordinal));

    /// <summary>The image is at the destination with its digest, and every blob is there whole (its digest checked by reading it).</summary>
    private static async Task AssertAtAsync(string host, string repository, SeededImage image)
    {
        using var reader = new ImageSeeder(host);
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync(repository, image.Tag));
        using var http = new HttpClient();
        foreach (var blob in BlobsOf(image))
        {
            var bytes = await http.GetByteArrayAsync($"http://{host}/v2/{repository}/blobs/{blob}");
            Assert.Equal(blob, ImageSeeder.DigestOf(bytes));
        }
    }
}
