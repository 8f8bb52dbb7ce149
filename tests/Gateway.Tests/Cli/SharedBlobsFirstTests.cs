using Microsoft.AspNetCore.Http;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// Blobs shared by many images go first: when the stream slots are all taken, a freed slot goes to
/// the blob that the most images in flight need, so the other images mount it early instead of
/// waiting behind uploads of blobs only one image has. Seen in the requests a real registry gets.
/// </summary>
public sealed class SharedBlobsFirstTests
{
    [Fact]
    public async Task WithOneStreamSlot_TheLayerTenImagesShare_GoesUpAmongTheFirst_AndTheOthersMountIt()
    {
        const int Images = 10;
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var slow = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var shared = ImageSeeder.RandomBytes(512 * 1024, 970);
        var sharedDigest = ImageSeeder.DigestOf(shared);
        var images = new List<SeededImage>();
        for (var i = 0; i < Images; i++)
        {
            images.Add(await seeder.PushImageAsync($"lib/app{i}", "1", [ImageSeeder.RandomBytes(64 * 1024, 971 + (2 * i)), shared, ImageSeeder.RandomBytes(64 * 1024, 972 + (2 * i))]));
        }

        // Every upload takes a while, so that all the images have asked for their blobs before the first one is in.
        slow.Around = async context =>
        {
            if (HttpMethods.IsPut(context.Request.Method) && context.Request.Path.Value!.Contains("/blobs/uploads/", StringComparison.Ordinal))
            {
                await Task.Delay(150);
            }

            return null;
        };
        var imagesFile = workspace.Write("images.yaml", string.Concat(Enumerable.Range(0, Images).Select(i => $"\"{source.Host}/lib/app{i}:1\": \"{slow.Host}/mirror/app{i}\"\n")));
        var auth = workspace.InsecureAuth(source.Host, slow.Host);

        var run = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", imagesFile, "--records", workspace.Records, "--proc", "1");

        Assert.True(run.ExitCode == 0, run.ToString());
        var requests = slow.Requests.ToList();
        var log = string.Join("\n", requests);
        var uploads = requests.Where(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/blobs/uploads/", StringComparison.Ordinal)).ToList();
        var sharedUploads = uploads.Select((r, i) => (r, i)).Where(u => u.r.Contains(Uri.EscapeDataString(sharedDigest), StringComparison.Ordinal)).Select(u => u.i).ToList();
        Assert.True(sharedUploads.Count == 1, log);

        // It went up among the first three (zero-based 0-2: on a busy machine the slot may be taken
        // once or twice before every image has said which blobs it needs; without the priority it
        // went up fifth of 31), ...
        Assert.True(sharedUploads[0] <= 2, $"the shared layer was upload {sharedUploads[0]} (zero-based) of {uploads.Count}:\n{log}");

        // ... and the nine other images mounted it from there (no second upload of it). When each
        // mount comes, among the uploads of the images' own layers, is left to timing: with one
        // slot on a busy machine a few of those go between.
        var mounts = requests
            .Where(r => r.StartsWith("POST ", StringComparison.Ordinal) && r.Contains("mount=" + sharedDigest, StringComparison.Ordinal) && r.Contains("from=mirror", StringComparison.Ordinal))
            .Where(r => !r.Contains($"from={Uri.EscapeDataString(MountTarget(r))}", StringComparison.Ordinal))
            .ToList();
        Assert.True(mounts.Count == Images - 1, $"{mounts.Count} mounts from another repository:\n{log}");
        foreach (var (image, i) in images.Select((image, i) => (image, i)))
        {
            Assert.Equal(image.Digest, await reader.ManifestDigestAsync($"mirror/app{i}", "1"));
        }
    }

    // "POST /v2/mirror/app3/blobs/uploads/?mount=...": the repository the mount is for.
    private static string MountTarget(string request)
    {
        var path = request.Split(' ')[1];
        return path["/v2/".Length..path.IndexOf("/blobs/uploads/", StringComparison.Ordinal)];
    }
}
