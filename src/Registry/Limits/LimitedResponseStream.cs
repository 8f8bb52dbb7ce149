using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Limits;

/// <summary>
/// A response body under the registry's limits: reads take their bytes from the bandwidth bucket,
/// and the request's slot is held until the body has been read or given up.
/// </summary>
internal sealed class LimitedResponseStream(Stream inner, TokenBucket? bandwidth, IDisposable? slot) : ReadOnlyStream
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
        if (read == 0)
        {
            slot?.Dispose();
        }
        else if (bandwidth is not null)
        {
            await bandwidth.TakeAsync(read, cancellationToken).ConfigureAwait(false);
        }

        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            slot?.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
