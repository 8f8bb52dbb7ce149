using System.Text;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Copying;

namespace SyncGateway.Replicator.Tests.Copying;

public sealed class PlatformFilterTests
{
    private static readonly Manifest Index = Manifest.Parse(Encoding.UTF8.GetBytes($$$"""
        {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[
          {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"sha256:{{{new string('a', 64)}}}","size":1,"platform":{"os":"linux","architecture":"amd64"}},
          {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"sha256:{{{new string('b', 64)}}}","size":1,"platform":{"os":"linux","architecture":"arm64"}},
          {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"sha256:{{{new string('c', 64)}}}","size":1,"platform":{"os":"windows","architecture":"amd64"}}]}
        """), null);

    [Fact]
    public void Apply_KeepsMatchingEntries_AndSoChangesTheDigest()
    {
        var filtered = new PlatformFilter(["linux"], ["arm64"]).Apply(Index);

        Assert.NotEqual(Index.Digest, filtered.Digest);
        Assert.Equal("sha256:" + new string('b', 64), filtered.Children.Single().Digest.ToString());
    }

    [Fact]
    public void Apply_WhenEverythingMatches_KeepsTheIndexBytes()
    {
        var filtered = new PlatformFilter(["linux", "windows"], []).Apply(Index);

        Assert.Same(Index, filtered);
    }

    [Fact]
    public void Apply_WhenNothingMatches_Fails()
    {
        Assert.Throws<InvalidManifestException>(() => new PlatformFilter(["plan9"], []).Apply(Index));
    }

    [Fact]
    public void Apply_WithExactPlatforms_KeepsOnlyThosePairs()
    {
        var filter = PlatformFilter.None with { Platforms = [new Platform("linux", "amd64", null), new Platform("windows", "arm64", null)] };

        var filtered = filter.Apply(Index);

        Assert.Equal("sha256:" + new string('a', 64), filtered.Children.Single().Digest.ToString());
    }
}
