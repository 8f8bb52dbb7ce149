using System.Net;
using System.Net.Http.Headers;

namespace SyncGateway.Registry.Client;

/// <summary>
/// A blob's bytes as a request body, streamed once. Before the first byte it flushes the request's
/// headers onto the wire: HTTP/1.1 would otherwise hold them back with the first bytes of the
/// body, so an upload whose bytes are still being downloaded would reach the registry only once
/// the download answered, and on a far network the two round trips would add up instead of
/// overlapping.
/// </summary>
internal sealed class BlobContent : HttpContent
{
    private const int BufferSize = 128 * 1024;
    private readonly Stream _source;
    private readonly long _length;

    public BlobContent(Stream source, long length)
    {
        _source = source;
        _length = length;
        Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        Headers.ContentLength = length;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _source.CopyToAsync(stream, BufferSize, cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }

        base.Dispose(disposing);
    }
}
