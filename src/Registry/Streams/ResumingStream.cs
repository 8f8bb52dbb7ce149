namespace SyncGateway.Registry.Streams;

/// <summary>
/// Reads a blob download to its end, reopening it at the current offset (an HTTP Range request)
/// when the connection drops, a bounded number of times. A layer of gigabytes is not started
/// over because one connection was reset near its end. <paramref name="start"/> is where the first
/// stream begins (an upload that resumes reads the source from there).
/// </summary>
internal sealed class ResumingStream(Stream first, long length, Func<long, CancellationToken, Task<Stream>> reopen, int maxResumes, long start = 0) : ReadOnlyStream
{
    private Stream _current = first;
    private long _position = start;
    private int _resumes;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var read = await _current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0 && _position < length && _resumes < maxResumes)
                {
                    // The server closed the body early: ask for the rest.
                    await ResumeAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                _position += read;
                return read;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested && _resumes < maxResumes && _position < length)
            {
                await ResumeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        _resumes++;
        await _current.DisposeAsync().ConfigureAwait(false);
        _current = await reopen(_position, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current.Dispose();
        }

        base.Dispose(disposing);
    }
}
