using System.Net;

namespace SyncGateway.Registry.Limits;

/// <summary>A request body sent no faster than the registry's bandwidth bucket allows.</summary>
internal sealed class LimitedRequestContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly TokenBucket _bandwidth;

    public LimitedRequestContent(HttpContent inner, TokenBucket bandwidth)
    {
        _inner = inner;
        _bandwidth = bandwidth;
        foreach (var (name, values) in inner.Headers)
        {
            Headers.TryAddWithoutValidation(name, values);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    // The inner content writes itself (a forwarded body cannot be read as a stream) through a
    // stream that takes every write's bytes from the bucket first.
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _inner.CopyToAsync(new ThrottledWriteStream(stream, _bandwidth), context, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        length = _inner.Headers.ContentLength ?? -1;
        return length >= 0;
    }

    // The inner content belongs to the request, which gets it back after sending.
}
