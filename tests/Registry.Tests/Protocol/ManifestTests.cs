using System.Text;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Tests.Protocol;

public sealed class ManifestTests
{
    private static readonly string Config = "sha256:" + new string('c', 64);
    private static readonly string Layer = "sha256:" + new string('1', 64);

    [Fact]
    public void Parse_ImageManifest_KeepsBytesDigestAndBlobs()
    {
        var json = $$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifest}}}","config":{"mediaType":"x","digest":"{{{Config}}}","size":7},"layers":[{"mediaType":"y","digest":"{{{Layer}}}","size":100}]}""";
        var bytes = Encoding.UTF8.GetBytes(json);

        var manifest = Manifest.Parse(bytes, null);

        Assert.Equal(MediaTypes.DockerManifest, manifest.MediaType);
        Assert.Equal(Digest.Compute(bytes), manifest.Digest);
        Assert.Equal(bytes, manifest.Bytes.ToArray());
        Assert.Equal([Config, Layer], manifest.Blobs.Select(b => b.Digest.ToString()));
        Assert.False(manifest.IsIndex);
    }

    [Fact]
    public void Parse_IndexWithoutMediaType_UsesTheContentTypeAndReadsPlatforms()
    {
        var child = "sha256:" + new string('d', 64);
        var bytes = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{child}}}","size":500,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}""");

        var manifest = Manifest.Parse(bytes, MediaTypes.OciIndex + "; charset=utf-8");

        Assert.True(manifest.IsIndex);
        Assert.Equal(child, manifest.Children.Single().Digest.ToString());
        Assert.Equal("linux/arm64/v8", manifest.Children.Single().Platform!.ToString());
    }

    [Fact]
    public void Parse_BytesThatDoNotMatchTheExpectedDigest_Fail()
    {
        var bytes = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[]}""");

        var error = Assert.Throws<InvalidManifestException>(() => Manifest.Parse(bytes, null, Digest.Parse("sha256:" + new string('0', 64))));
        Assert.Contains("do not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ABadDescriptorDigest_NamesWhere()
    {
        var bytes = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]}""");

        var error = Assert.Throws<InvalidManifestException>(() => Manifest.Parse(bytes, null));
        Assert.Contains("config.digest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverFourMebibytes_Fails()
    {
        var bytes = new byte[Manifest.MaxSize + 1];

        Assert.Throws<InvalidManifestException>(() => Manifest.Parse(bytes, null));
    }
}
