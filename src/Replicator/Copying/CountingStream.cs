using SyncGateway.Registry.Streams;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Copying;

/// <summary>Counts the bytes read through it into the run's statistics, for the live rate.</summary>
internal sealed class CountingStream(Stream inner, TransferStats stats) : ReadOnlyStream
{
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        stats.Streamed(read);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        stats.Streamed(read);
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
