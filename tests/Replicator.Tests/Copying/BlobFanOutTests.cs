using System.Collections.Concurrent;
using System.Security.Cryptography;
using SyncGateway.Replicator.Copying;
using SyncGateway.Testing;

namespace SyncGateway.Replicator.Tests.Copying;

/// <summary>
/// One read of a blob shared by several uploads: every reader gets every byte, the source is
/// opened once, memory stays within the window, and a reader that stalls or leaves does not hold
/// the others.
/// </summary>
public sealed class BlobFanOutTests
{
    private const int Size = 6 * 1024 * 1024 + 12345;
    private static readonly byte[] Blob = ImageSeeder.RandomBytes(Size, 71);

    [Fact]
    public async Task ThreeReaders_OneOfThemSlow_EachGetTheWholeBlob_FromOneSourceRead_WithinTheWindow()
    {
        var opens = new ConcurrentQueue<long>();
        var fan = new BlobFanOut(Size, Open(opens), 3, TimeSpan.FromMinutes(1), TimeProvider.System);

        var hashes = await Task.WhenAll(
            HashAsync(fan.Branches[0], TimeSpan.Zero),
            HashAsync(fan.Branches[1], TimeSpan.Zero),
            HashAsync(fan.Branches[2], TimeSpan.FromMilliseconds(2)));
        await fan.CompleteAsync();

        Assert.All(hashes, h => Assert.Equal(ImageSeeder.DigestOf(Blob), h));
        Assert.Equal([0L], opens);
        Assert.InRange(fan.MostHeld, 1, BlobFanOut.Window);
        Assert.Equal(0, fan.CutLoose);
    }

    [Fact]
    public async Task AReaderThatStopsReading_IsCutLooseAfterTheStall_AndFinishesAlone_WhileTheOthersGoOn()
    {
        var opens = new ConcurrentQueue<long>();
        var fan = new BlobFanOut(Size, Open(opens), 3, TimeSpan.FromSeconds(1), TimeProvider.System);
        var stalled = fan.Branches[2];
        var head = new byte[200_000];
        await stalled.ReadExactlyAsync(head);

        // The other two finish while the third reads nothing.
        var others = await Task.WhenAll(HashAsync(fan.Branches[0], TimeSpan.Zero), HashAsync(fan.Branches[1], TimeSpan.Zero)).WaitAsync(TimeSpan.FromSeconds(30));
        var rest = await HashAsync(stalled, TimeSpan.Zero, head);
        await fan.CompleteAsync();

        Assert.All(others, h => Assert.Equal(ImageSeeder.DigestOf(Blob), h));
        Assert.Equal(ImageSeeder.DigestOf(Blob), rest);
        // The stalled reader was cut loose and read the rest alone, from where it stopped. (On a
        // loaded machine the others may also have been late to start, and so cut loose too; each
        // then read alone, and still got every byte.)
        Assert.InRange(fan.CutLoose, 1, 3);
        Assert.Equal(1 + fan.CutLoose, opens.Count);
        Assert.Equal(0L, opens.First());
        Assert.Contains((long)head.Length, opens);
        Assert.InRange(fan.MostHeld, 1, BlobFanOut.Window);
    }

    [Fact]
    public async Task AReaderThatLeavesHalfway_DoesNotHoldOrFailTheOthers()
    {
        var opens = new ConcurrentQueue<long>();
        var fan = new BlobFanOut(Size, Open(opens), 2, TimeSpan.FromMinutes(1), TimeProvider.System);
        var leaving = fan.Branches[1];
        await leaving.ReadExactlyAsync(new byte[1_000_000]);
        await leaving.DisposeAsync();

        var hash = await HashAsync(fan.Branches[0], TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(30));
        await fan.CompleteAsync();

        Assert.Equal(ImageSeeder.DigestOf(Blob), hash);
        Assert.Equal([0L], opens);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await leaving.ReadExactlyAsync(new byte[10]));
    }

    [Fact]
    public async Task ASourceThatFails_FailsEveryReaderStillOnTheSharedRead()
    {
        var fan = new BlobFanOut(Size, (_, _) => Task.FromResult<Stream>(new FailingAfter(new MemoryStream(Blob), 2_000_000)), 2, TimeSpan.FromMinutes(1), TimeProvider.System);

        var failures = await Task.WhenAll(fan.Branches.Select(b => Assert.ThrowsAsync<IOException>(() => HashAsync(b, TimeSpan.Zero))));
        await fan.CompleteAsync();

        Assert.All(failures, f => Assert.Contains("reading the blob from the source failed", f.Message, StringComparison.Ordinal));
    }

    private static Func<long, CancellationToken, Task<Stream>> Open(ConcurrentQueue<long> opens) => (offset, _) =>
    {
        opens.Enqueue(offset);
        return Task.FromResult<Stream>(new MemoryStream(Blob, (int)offset, Size - (int)offset, writable: false));
    };

    private static async Task<string> HashAsync(Stream stream, TimeSpan delay, byte[]? before = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (before is not null)
        {
            hash.AppendData(before);
        }

        var buffer = new byte[50_000];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A source connection that drops after some bytes (the fault, in front of real bytes).</summary>
    private sealed class FailingAfter(Stream inner, long limit) : SyncGateway.Registry.Streams.ReadOnlyStream
    {
        private long _read;

        public override long Length => inner.Length;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= limit)
            {
                throw new IOException("connection reset by peer");
            }

            var read = await inner.ReadAsync(buffer, cancellationToken);
            _read += read;
            return read;
        }
    }
}
