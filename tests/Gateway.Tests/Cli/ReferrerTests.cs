using System.Text.Json;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// Signatures, SBOMs and attestations follow their image, between real distribution registries
/// (which have no referrers API, so the tag-schema fallback is what carries them), with artifacts
/// each test pushes itself: OCI 1.1 referrers with a subject listed in the fallback index, and a
/// cosign-style <c>.sig</c> tag.
/// </summary>
public sealed class ReferrerTests
{
    private const string SignatureType = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const string SbomType = "application/spdx+json";

    [Fact]
    public async Task ASignedImage_ArrivesWithItsSignatureAndSbom_DigestsKept_AndArtifactTypesFilter()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var image = await seeder.PushImageAsync("lib/signed", "1.0", [ImageSeeder.RandomBytes(4000, 1400)]);
        var signature = await seeder.PushReferrerAsync("lib/signed", image, SignatureType, "application/vnd.dev.sigstore.bundle.v0.3+json", "{\"signature\":\"test\"}"u8.ToArray());
        var sbom = await seeder.PushReferrerAsync("lib/signed", image, SbomType, SbomType, "{\"spdxVersion\":\"SPDX-2.3\"}"u8.ToArray());
        await seeder.PushFallbackIndexAsync("lib/signed", image, [(signature, SignatureType), (sbom, SbomType)]);
        var cosign = await seeder.PushCosignSignatureAsync("lib/signed", image);
        var fallbackTag = ImageSeeder.FallbackTag(image.Digest);
        var config = workspace.Write("syncgateway.yaml", $$"""
            registries:
              "{{source.Host}}": {insecure: true}
              "{{destination.Host}}": {insecure: true}
            rules:
              - source: {{source.Host}}/lib/signed
                destination: {{destination.Host}}/m/signed
              - source: {{source.Host}}/lib/signed
                destination: {{destination.Host}}/m/sbom-only
                artifactTypes: ["{{SbomType}}"]
              - source: {{source.Host}}/lib/signed
                destination: {{destination.Host}}/m/bare
                referrers: false
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Synced 3, already in sync 0, failed 0", run.Out, StringComparison.Ordinal);
        Assert.Contains("Referrers (signatures, SBOMs, attestations): copied 4, present 0", run.Out, StringComparison.Ordinal);
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/signed", "1.0"));
        Assert.Equal(signature.Manifest, await reader.ManifestAsync("m/signed", signature.Digest));
        Assert.Equal(sbom.Manifest, await reader.ManifestAsync("m/signed", sbom.Digest));
        Assert.Equal(cosign.Digest, await reader.ManifestDigestAsync("m/signed", cosign.Tag));
        Assert.True(await reader.BlobExistsAsync("m/signed", signature.LayerDigests[0]));
        Assert.Equal([signature.Digest, sbom.Digest], FallbackEntries(await reader.ManifestAsync("m/signed", fallbackTag)));

        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/sbom-only", "1.0"));
        Assert.Equal(sbom.Digest, await reader.ManifestDigestAsync("m/sbom-only", sbom.Digest));
        Assert.Null(await reader.ManifestDigestAsync("m/sbom-only", signature.Digest));
        Assert.Null(await reader.ManifestDigestAsync("m/sbom-only", cosign.Tag));
        Assert.Equal([sbom.Digest], FallbackEntries(await reader.ManifestAsync("m/sbom-only", fallbackTag)));

        // The fallback and cosign tags were never taken as images of their own.
        Assert.Equal(["1.0"], await reader.TagsAsync("m/bare"));

        var again = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Referrers (signatures, SBOMs, attestations): copied 0, present 4", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASignatureAddedLater_ToAnImageAlreadyReplicated_IsReplicatedByTheDaemon()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var image = await seeder.PushImageAsync("lib/later", "1", [ImageSeeder.RandomBytes(4000, 1410)]);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/later"], pollInterval: "1s");
        Assert.Equal(image.Digest, await atMirror.ManifestDigestAsync("mirror/later", "1"));

        var signature = await seeder.PushReferrerAsync("lib/later", image, SignatureType, "application/vnd.dev.sigstore.bundle.v0.3+json", "{\"signature\":\"later\"}"u8.ToArray());
        await seeder.PushFallbackIndexAsync("lib/later", image, [(signature, SignatureType)]);

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/later", signature.Digest) == signature.Digest), gateway.Log);
        Assert.True(await Wait.UntilAsync(async () => FallbackEntries(await atMirror.ManifestAsync("mirror/later", ImageSeeder.FallbackTag(image.Digest))).SequenceEqual([signature.Digest])), gateway.Log);

        // A cosign signature pushed through the gateway is an event for its subject (the next poll would find it too).
        var sigTag = ImageSeeder.FallbackTag(image.Digest) + ".sig";
        using var viaGateway = new ImageSeeder(gateway.Host);
        var cosign = await viaGateway.PushCosignSignatureAsync("lib/later", image);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/later", sigTag) == cosign.Digest), gateway.Log);
    }

    private static List<string> FallbackEntries(byte[]? index) =>
        index is null ? [] : JsonDocument.Parse(index).RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!).ToList();
}
