using SyncGateway.Gateway.Proxy;

namespace SyncGateway.Gateway.Tests.Proxy;

public sealed class RegistryPathTests
{
    [Theory]
    [InlineData("", RegistryRoute.Base, null, null)]
    [InlineData("_catalog", RegistryRoute.Catalog, null, null)]
    [InlineData("a/b/c/tags/list", RegistryRoute.Tags, "a/b/c", null)]
    [InlineData("lib/app/manifests/1.25", RegistryRoute.Manifest, "lib/app", "1.25")]
    [InlineData("lib/manifests/app/manifests/latest", RegistryRoute.Manifest, "lib/manifests/app", "latest")]
    [InlineData("lib/app/blobs/uploads/", RegistryRoute.Upload, "lib/app", null)]
    public void Parse_TakesApartValidPaths(string path, RegistryRoute route, string? repository, string? reference)
    {
        var parsed = RegistryPath.Parse(path, out var code, out _);

        Assert.NotNull(parsed);
        Assert.Null(code);
        Assert.Equal(route, parsed.Route);
        Assert.Equal(repository, parsed.Repository);
        Assert.Equal(reference, parsed.Reference);
    }

    [Fact]
    public void Parse_ABlobByDigest_KeepsTheParsedDigest()
    {
        var digest = "sha256:" + new string('a', 64);

        var parsed = RegistryPath.Parse($"lib/app/blobs/{digest}", out _, out _);

        Assert.Equal(RegistryRoute.Blob, parsed!.Route);
        Assert.Equal(digest, parsed.Digest.ToString());
        Assert.Equal($"mirror/app/blobs/{digest}", parsed.UpstreamPath("mirror/app"));
    }

    [Theory]
    [InlineData("my-Digest/app/manifests/1", "NAME_INVALID")]
    [InlineData("lib/digest/manifests/-bad", "MANIFEST_INVALID")]
    [InlineData("lib/app/blobs/md5:abc", "DIGEST_INVALID")]
    [InlineData("lib/app/blobs/uploads/a%2Fb", "BLOB_UPLOAD_INVALID")]
    [InlineData("lib/app/somewhere", "UNSUPPORTED")]
    public void Parse_NamesWhichPartIsWrong(string path, string expected)
    {
        Assert.Null(RegistryPath.Parse(path, out var code, out var error));
        Assert.Equal(expected, code!.Code);
        Assert.False(string.IsNullOrEmpty(error));
    }
}
