using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Tests.Client;

public sealed class RegistryTransportTests
{
    private const int Cap = 64 * 1024;

    [Fact]
    public async Task ReadCapped_AnAnswerWithItsLength_IsReadWhole()
    {
        var body = Bytes(40_000);
        using var content = new ByteArrayContent(body);

        Assert.Equal(body, await RegistryTransport.ReadCappedAsync(content, Cap, CancellationToken.None));
    }

    [Fact]
    public async Task ReadCapped_AnAnswerWithoutALength_IsReadWhole_AcrossManyReads()
    {
        var body = Bytes(50_000);
        using var content = new StreamContent(new Trickle(body, 1000));

        Assert.Null(content.Headers.ContentLength);
        Assert.Equal(body, await RegistryTransport.ReadCappedAsync(content, Cap, CancellationToken.None));
    }

    [Fact]
    public async Task ReadCapped_ADeclaredLengthOverTheCap_FailsWithoutReadingTheBody()
    {
        var body = new Trickle(Bytes(Cap + 1), Cap + 1);
        using var content = new StreamContent(body);
        content.Headers.ContentLength = Cap + 1;

        var failure = await Assert.ThrowsAsync<InvalidManifestException>(() => RegistryTransport.ReadCappedAsync(content, Cap, CancellationToken.None));

        Assert.Contains($"over the {Cap}-byte limit", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, body.Position);
    }

    [Fact]
    public async Task ReadCapped_AnUndeclaredAnswerOverTheCap_Fails()
    {
        using var content = new StreamContent(new Trickle(Bytes(Cap + 1), 4096));

        var failure = await Assert.ThrowsAsync<InvalidManifestException>(() => RegistryTransport.ReadCappedAsync(content, Cap, CancellationToken.None));

        Assert.Contains($"over the {Cap}-byte limit", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadCapped_ASmallAnswer_CostsLittleMoreThanItsOwnBytes()
    {
        // A tag list or a tiny image's manifest: a run of 10,000 images reads 20,000 of them.
        var body = Bytes(300);
        using (var warm = new ByteArrayContent(body))
        {
            await RegistryTransport.ReadCappedAsync(warm, Cap, CancellationToken.None);
        }

        using var content = new ByteArrayContent(body);
        var before = GC.GetAllocatedBytesForCurrentThread();
        await RegistryTransport.ReadCappedAsync(content, Cap, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.InRange(allocated, body.Length, 4096);
    }

    private static byte[] Bytes(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>A body without a length, handed out at most <c>step</c> bytes a read.</summary>
    private sealed class Trickle(byte[] body, int step) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(Math.Min(count, step), body.Length - Position);
            Array.Copy(body, Position, buffer, offset, n);
            Position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
