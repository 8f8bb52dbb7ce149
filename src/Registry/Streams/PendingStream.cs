namespace SyncGateway.Registry.Streams;

/// <summary>
/// A read-only stream whose source is still being opened: the first read waits for it. An upload
/// can go out while the download it forwards is still being asked for, so that on a far network
/// the two round trips overlap instead of adding up. Disposing it disposes the source, also when
/// that source opens only later; a source that fails to open is observed here and reported by
/// <see cref="Failure"/>, so the caller can raise that instead of the upload's error.
/// </summary>
public sealed class PendingStream(Task<Stream> opening, long length) : ReadOnlyStream
{
    private int _disposed;

    public override long Length => length;

    /// <summary>Why the source could not be opened, once it could not; null while it opens or when it did.</summary>
    public Exception? Failure => opening.IsFaulted ? opening.Exception.InnerException : null;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => opening.GetAwaiter().GetResult().Read(buffer);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var source = await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = opening.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _ = opening.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        base.Dispose(disposing);
    }
}
