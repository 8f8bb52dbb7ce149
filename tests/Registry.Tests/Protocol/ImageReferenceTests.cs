using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Tests.Protocol;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null)]
    [InlineData("nginx:1.25", "docker.io", "library/nginx", "1.25")]
    [InlineData("index.docker.io/bitnami/redis:7", "docker.io", "bitnami/redis", "7")]
    [InlineData("harbor.example.com:32080/library/app:1.0", "harbor.example.com:32080", "library/app", "1.0")]
    [InlineData("localhost/a/b/c", "localhost", "a/b/c", null)]
    [InlineData("127.0.0.1:5000/x__y/z-1.2", "127.0.0.1:5000", "x__y/z-1.2", null)]
    [InlineData("Registry.CN-Beijing.aliyuncs.com/ns/app", "registry.cn-beijing.aliyuncs.com", "ns/app", null)]
    public void Parse_SplitsRegistryRepositoryAndTag(string text, string registry, string repository, string? tag)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
    }

    [Fact]
    public void Parse_ReadsADigest()
    {
        var digest = "sha256:" + new string('a', 64);
        var reference = ImageReference.Parse($"quay.io/coreos/etcd@{digest}");

        Assert.Equal(digest, reference.Digest.ToString());
        Assert.Equal(digest, reference.Reference);
        Assert.Equal($"quay.io/coreos/etcd@{digest}", reference.ToString());
    }

    [Theory]
    [InlineData("harbor.example.com/Library/App")]
    [InlineData("harbor.example.com/library/../etc")]
    [InlineData("harbor.example.com/library//app")]
    [InlineData("harbor.example.com/library/app:-bad")]
    [InlineData("harbor.example.com/library/app:" + "toolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoo")]
    [InlineData("harbor.example.com/library/app@sha256:123")]
    [InlineData("harbor.example.com/lib%2fapp")]
    [InlineData("harbor.example.com/lib?x=1")]
    [InlineData("bad_host.example.com:99999x/lib/app")]
    [InlineData("")]
    public void TryParse_RejectsNamesThatCouldBendAUrl(string text)
    {
        Assert.False(ImageReference.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void ParseRepository_RefusesATag()
    {
        Assert.Throws<FormatException>(() => ImageReference.ParseRepository("harbor.example.com/library/app:1"));
    }
}
