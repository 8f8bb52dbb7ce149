using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Tests.Protocol;

public sealed class DigestTests
{
    private const string Hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Parse_Sha256_KeepsAlgorithmAndHex()
    {
        var digest = Digest.Parse("sha256:" + Hex64);

        Assert.Equal("sha256", digest.Algorithm);
        Assert.Equal(Hex64, digest.Hex);
        Assert.Equal("sha256:" + Hex64, digest.ToString());
    }

    [Theory]
    [InlineData("sha256:" + Hex64 + "0")]
    [InlineData("sha256:0123")]
    [InlineData("SHA256:" + Hex64)]
    [InlineData("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("md5:0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("sha512:" + Hex64)]
    [InlineData("")]
    public void TryParse_RejectsAnythingNotStrictlyADigest(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
    }

    [Fact]
    public void Compute_MatchesTheContent()
    {
        var content = "hello"u8.ToArray();
        var digest = Digest.Compute(content);

        Assert.Equal("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", digest.ToString());
        Assert.True(digest.Matches(content));
        Assert.False(digest.Matches("hellO"u8));
    }
}
