using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Tests.Streams;

public sealed class VerifyingStreamTests
{
    private static Descriptor For(byte[] content) => new() { MediaType = "x", Digest = Digest.Compute(content), Size = content.Length };

    [Fact]
    public async Task Read_MatchingContent_PassesEveryByte()
    {
        var content = new byte[300_000];
        new Random(1).NextBytes(content);
        await using var stream = new VerifyingStream(new MemoryStream(content), For(content));
        using var copy = new MemoryStream();

        await stream.CopyToAsync(copy, 4096);

        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task Read_ChangedContent_FailsBeforeTheLastBytesAreReleased()
    {
        var content = new byte[10_000];
        new Random(2).NextBytes(content);
        var changed = (byte[])content.Clone();
        changed[^1] ^= 1;
        await using var stream = new VerifyingStream(new MemoryStream(changed), For(content));
        var released = 0L;
        var buffer = new byte[1000];

        var error = await Assert.ThrowsAsync<DigestMismatchException>(async () =>
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                released += read;
            }
        });

        Assert.True(released < content.Length, "the bytes that complete a wrong blob must not be handed on");
        Assert.Contains("hashes to", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ShortContent_FailsAtTheEnd()
    {
        var content = new byte[1000];
        await using var stream = new VerifyingStream(new MemoryStream(content[..900]), For(content));

        var error = await Assert.ThrowsAsync<DigestMismatchException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Contains("ended after 900 of 1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_LongerContent_Fails()
    {
        var content = new byte[1000];
        var longer = new byte[1001];
        await using var stream = new VerifyingStream(new MemoryStream(longer), For(content));

        await Assert.ThrowsAsync<DigestMismatchException>(() => stream.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task Read_EmptyBlob_Verifies()
    {
        await using var stream = new VerifyingStream(new MemoryStream([]), For([]));

        Assert.Equal(0, await stream.ReadAsync(new byte[10]));
    }
}
