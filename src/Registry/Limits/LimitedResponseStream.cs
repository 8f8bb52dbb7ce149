using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Limits;

/// <summary>
/// A response body under the registry's bandwidth cap: each read takes its bytes from the bucket.
/// </summary>
internal sealed class LimitedResponseStream(Stream inner, TokenBucket bandwidth) : ReadOnlyStream
{
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            await bandwidth.TakeAsync(read, cancellationToken).ConfigureAwait(false);
        }

        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
