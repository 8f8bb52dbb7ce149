using SyncGateway.Registry.Streams;

namespace SyncGateway.Gateway.Proxy;

/// <summary>A read of the source, from <paramref name="offset"/>, whose every chunk also goes to the client's <see cref="ClientTee"/>.</summary>
internal sealed class TeeStream(Stream inner, ClientTee client, long offset) : ReadOnlyStream
{
    private long _position = offset;

    public override long Length => inner.Length;

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            await client.WriteAsync(_position, buffer[..read]).ConfigureAwait(false);
            _position += read;
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

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
