using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Records;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// A destination that ignores cross-repository mounts (Quay, ECR without blob mounting answer the
/// mount POST with 202), made from a real registry behind a proxy that strips the mount parameters.
/// </summary>
public sealed class MountIgnoringRegistryTests
{
    [Fact]
    public async Task NoBlobIsUploadedAgainIntoARepositoryThatHoldsIt_AndTheRecordsStayCorrect()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var stripping = await FaultProxy.StartAsync(destination.BaseUri);
        stripping.Rewrite = request => request.Method == "POST" && request.Query.ContainsKey("mount") ? request.Path.Value! : $"{request.Path}{request.QueryString}";
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/app", "1", [ImageSeeder.RandomBytes(40_000, 880), ImageSeeder.RandomBytes(40_000, 881)]);
        var auth = workspace.InsecureAuth(source.Host, stripping.Host);
        var first = workspace.Write("first.yaml", $"\"{source.Host}/lib/app:1\": \"{stripping.Host}/m/app\"\n");
        var both = workspace.Write("both.yaml", $"\"{source.Host}/lib/app:1\": [\"{stripping.Host}/m/app\", \"{stripping.Host}/n/app\"]\n");

        var seeded = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", first, "--records", workspace.Records);
        Assert.True(seeded.ExitCode == 0, seeded.ToString());
        stripping.Requests.Clear();

        // Forced: every manifest is pushed again; blobs that are there are not sent again.
        var forced = await CliRun.InvokeAsync("sync", "--auth", auth, "--images", both, "--records", workspace.Records, "--force");

        Assert.True(forced.ExitCode == 0, forced.ToString());
        foreach (var digest in image.LayerDigests)
        {
            var uploads = stripping.Requests.Where(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString(digest), StringComparison.Ordinal)).ToList();
            Assert.True(uploads.Count == 1, $"{digest} went up {uploads.Count} times (once, into n/app, is right): {string.Join(", ", uploads)}");
            Assert.Contains("/v2/n/app/", uploads[0], StringComparison.Ordinal);
        }

        Assert.Contains("does not honour cross-repository mounts", forced.Error, StringComparison.Ordinal);
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/app", "1"));
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("n/app", "1"));
        using var records = RecordStore.Open(workspace.Records, TimeProvider.System);
        foreach (var digest in image.LayerDigests)
        {
            Assert.Equal("m/app", await records.FindBlobRepositoryAsync(stripping.Host, Digest.Parse(digest), "m/app", default));
            Assert.Equal("n/app", await records.FindBlobRepositoryAsync(stripping.Host, Digest.Parse(digest), "n/app", default));
        }
    }
}
