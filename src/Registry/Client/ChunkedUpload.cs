using System.Net;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Client;

/// <summary>
/// One blob going up in PATCH chunks, resumable. After each accepted chunk the verification's hash
/// is checkpointed; when a chunk fails, the session says (GET, <c>Range: 0-N</c>) how much it holds,
/// the source is opened again at the checkpoint, the bytes up to what the session holds are read
/// (and hashed) but not sent, and the upload continues from there. So what the destination is sent
/// is the blob plus at most one chunk per failure, and the source is read again only from the last
/// checkpoint. A session the registry no longer knows fails the unit, which starts over.
/// </summary>
internal sealed class ChunkedUpload(RegistryTransport transport, Uri location, Descriptor blob, Func<long, CancellationToken, Task<Stream>> open, string scope, string operation)
{
    /// <summary>Resumes of one blob, whatever the number of chunks: a retry budget per blob.</summary>
    private const int MaxResumes = 16;

    private readonly long _chunkSize = transport.Endpoint.ChunkSize;
    private Uri _location = location;

    public async Task<int> SendAsync(CancellationToken cancellationToken)
    {
        var resumes = 0;
        var content = new VerifyingStream(await open(0, cancellationToken).ConfigureAwait(false), blob);
        var checkpoint = content.Checkpoint();
        try
        {
            for (var offset = 0L; offset < blob.Size;)
            {
                var length = Math.Min(_chunkSize, blob.Size - offset);
                try
                {
                    await SendChunkAsync(content, offset, length, cancellationToken).ConfigureAwait(false);
                    offset += length;
                    checkpoint.State.Dispose();
                    checkpoint = content.Checkpoint();
                }
                catch (Exception ex) when (resumes < MaxResumes && Resumable(ex, cancellationToken))
                {
                    resumes++;
                    var held = await HeldAsync(cancellationToken).ConfigureAwait(false);
                    if (held < checkpoint.Position || held > offset + length)
                    {
                        throw new RegistryException($"{operation}: the session holds {held} bytes, outside what was sent ({checkpoint.Position}..{offset + length})", retryable: true, inner: ex);
                    }

                    await content.DisposeAsync().ConfigureAwait(false);
                    content = new VerifyingStream(await open(checkpoint.Position, cancellationToken).ConfigureAwait(false), blob, checkpoint.State.Clone(), checkpoint.Position);
                    await SkipAsync(content, held - checkpoint.Position, cancellationToken).ConfigureAwait(false);
                    offset = held;
                }
            }

            // The chunks end exactly at the blob's size; reading on lets the verifier check the end.
            if (await content.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new DigestMismatchException(blob.Digest, $"blob {blob.Digest} is longer than its {blob.Size} bytes");
            }
        }
        finally
        {
            checkpoint.State.Dispose();
            await content.DisposeAsync().ConfigureAwait(false);
        }

        using var close = new HttpRequestMessage(HttpMethod.Put, RegistryTransport.WithDigest(_location, blob.Digest));
        using var closed = await transport.SendAsync(close, scope, operation, cancellationToken).ConfigureAwait(false);
        await transport.EnsureCreatedAsync(closed, operation, cancellationToken).ConfigureAwait(false);
        return resumes;
    }

    private async Task SendChunkAsync(Stream content, long offset, long length, CancellationToken cancellationToken)
    {
        using var chunk = new SliceStream(content, length);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, _location) { Content = BlobUploader.Body(chunk, length) };
        patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
        using var answer = await transport.SendAsync(patch, scope, operation, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.Accepted)
        {
            await transport.EnsureSuccessAsync(answer, operation, cancellationToken).ConfigureAwait(false);
            throw new RegistryException($"{operation}: chunk at {offset} got {(int)answer.StatusCode}", answer.StatusCode);
        }

        _location = RegistryTransport.ResolveLocation(answer, operation);
    }

    /// <summary>How many bytes the session holds (its <c>Range: 0-N</c>); a forgotten session fails the unit.</summary>
    private async Task<long> HeldAsync(CancellationToken cancellationToken)
    {
        using var timeout = RegistryTransport.Timeout(cancellationToken);
        using var status = new HttpRequestMessage(HttpMethod.Get, _location);
        using var answer = await transport.SendAsync(status, scope, $"{operation} (session status)", timeout.Token).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.NoContent)
        {
            await transport.EnsureSuccessAsync(answer, operation, timeout.Token).ConfigureAwait(false);
            throw new RegistryException($"{operation}: the session status answered {(int)answer.StatusCode}", answer.StatusCode, retryable: true);
        }

        _location = RegistryTransport.ResolveLocation(answer, operation);
        var range = answer.Headers.TryGetValues("Range", out var values) ? values.FirstOrDefault() : null;
        return ParseHeld(range);
    }

    // "0-1048575" holds 1 MiB. An empty session says "0-0" (distribution), which would also read as
    // one byte: a chunk never ends after its first byte, so it is taken as nothing held. A missing
    // or unreadable header is nothing held too.
    private static long ParseHeld(string? range)
    {
        var dash = range?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        return dash > 0 && long.TryParse(range![(dash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last) && last > 0 ? last + 1 : 0;
    }

    private async Task SkipAsync(Stream content, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(count, 128 * 1024)];
        while (count > 0)
        {
            var read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new DigestMismatchException(blob.Digest, $"blob {blob.Digest} ended before the {count} bytes the session holds");
            }

            count -= read;
        }
    }

    private static bool Resumable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        DigestMismatchException => false,
        RegistryException registry => registry.Retryable,
        HttpRequestException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
