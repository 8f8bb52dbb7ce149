using System.Net;
using System.Runtime.ExceptionServices;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Client;

/// <summary>
/// Blob uploads to one registry: a mount-or-open request, then the content in one streamed PUT or
/// in PATCH chunks when the blob is larger than the endpoint's chunk size.
/// </summary>
public sealed class BlobUploader
{
    private readonly RegistryTransport _transport;

    internal BlobUploader(RegistryTransport transport) => _transport = transport;

    /// <summary>
    /// Opens an upload. With <paramref name="mountFrom"/>, asks the registry to mount the blob from
    /// that repository of the same registry; a registry that cannot answers with a session instead.
    /// </summary>
    public async Task<UploadStart> StartAsync(string repository, Digest? mount, string? mountFrom, CancellationToken cancellationToken)
    {
        var operation = $"start blob upload to {_transport.Endpoint.Host}/{repository}";
        var query = mount is { } digest && mountFrom is not null
            ? $"?mount={digest}&from={Uri.EscapeDataString(mountFrom)}"
            : string.Empty;
        var scope = mountFrom is null ? RegistryScopes.Push(repository) : $"{RegistryScopes.Push(repository)} {RegistryScopes.Pull(mountFrom)}";
        using var timeout = RegistryTransport.Timeout(cancellationToken);
        using var request = RegistryTransport.Request(HttpMethod.Post, $"{repository}/blobs/uploads/{query}");
        using var response = await _transport.SendAsync(request, scope, operation, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created && query.Length > 0)
        {
            return new UploadStart(true, null);
        }

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
            throw new RegistryException($"{operation}: unexpected {(int)response.StatusCode} {response.StatusCode}", response.StatusCode);
        }

        return new UploadStart(false, RegistryTransport.ResolveLocation(response, operation));
    }

    /// <summary>
    /// Sends a blob's content to an upload session, verified on the way (size and digest: the last
    /// bytes go only when both match). <paramref name="open"/> opens the source at an offset. Blobs
    /// up to the endpoint's chunk size go in one streamed PUT (a failure repeats the whole unit);
    /// larger ones go in PATCH chunks, and a chunk that fails (a reset, a 5xx, a proxy timeout, an
    /// expired token) is resumed: the session is asked where it stands, the source is read again from
    /// there, and the upload goes on. Only a session the registry has forgotten starts over.
    /// Returns how many times the upload resumed.
    /// </summary>
    public async Task<int> UploadAsync(string repository, Uri location, Descriptor blob, Func<long, CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var operation = $"upload blob {blob.Digest} to {_transport.Endpoint.Host}/{repository}";
        var scope = RegistryScopes.Push(repository);
        if (blob.Size <= _transport.Endpoint.ChunkSize)
        {
            // The source is asked while the PUT goes out, so the two round trips overlap; the PUT's
            // body waits for the download. A source that cannot be read fails the upload with its own error.
            var source = new PendingStream(open(0, cancellationToken), blob.Size);
            await using var content = new VerifyingStream(source, blob);
            try
            {
                using var put = new HttpRequestMessage(HttpMethod.Put, RegistryTransport.WithDigest(location, blob.Digest)) { Content = Body(content, blob.Size) };
                using var answer = await _transport.SendAsync(put, scope, operation, cancellationToken).ConfigureAwait(false);
                await _transport.EnsureCreatedAsync(answer, operation, cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (Exception) when (source.Failure is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
                throw;
            }
        }

        var upload = new ChunkedUpload(_transport, location, blob, open, scope, operation);
        return await upload.SendAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels an upload session that will not be completed, so the registry can forget it.</summary>
    public async Task CancelAsync(string repository, Uri location)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var request = new HttpRequestMessage(HttpMethod.Delete, location);
            using var response = await _transport.SendAsync(request, RegistryScopes.Push(repository), "cancel upload", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or RegistryException)
        {
            // Best effort: the registry expires abandoned sessions by itself.
        }
    }

    internal static HttpContent Body(Stream content, long length) => new BlobContent(content, length);
}
