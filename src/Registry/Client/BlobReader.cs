using System.Net;
using System.Net.Http.Headers;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Client;

/// <summary>
/// Blobs of one registry, for reading: existence with a HEAD, and streams that resume a dropped
/// download with a Range request and follow redirects to storage without the registry's
/// credentials.
/// </summary>
public sealed class BlobReader
{
    private const int MaxRedirects = 5;
    private const int Resumes = 3;
    private readonly RegistryTransport _transport;

    internal BlobReader(RegistryTransport transport) => _transport = transport;

    public async Task<bool> ExistsAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var operation = $"HEAD blob {_transport.Endpoint.Host}/{repository}@{digest}";
        using var timeout = RegistryTransport.Timeout(cancellationToken);
        using var request = RegistryTransport.Request(HttpMethod.Head, $"{repository}/blobs/{digest}");
        using var response = await _transport.SendAsync(request, RegistryScopes.Pull(repository), operation, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        // A registry that keeps blobs in object storage answers with a redirect to them.
        if (RegistryTransport.IsRedirect(response.StatusCode))
        {
            return true;
        }

        await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Opens a blob for reading from <paramref name="offset"/> (a Range request past 0); the stream
    /// resumes where a dropped download stopped.
    /// </summary>
    public async Task<Stream> OpenAsync(string repository, Descriptor blob, CancellationToken cancellationToken, long offset = 0)
    {
        var first = await OpenAtAsync(repository, blob.Digest, offset, cancellationToken).ConfigureAwait(false);
        return new ResumingStream(first, blob.Size, (at, ct) => OpenAtAsync(repository, blob.Digest, at, ct), Resumes, offset);
    }

    private async Task<Stream> OpenAtAsync(string repository, Digest digest, long offset, CancellationToken cancellationToken)
    {
        var operation = $"GET blob {_transport.Endpoint.Host}/{repository}@{digest}";
        var request = RegistryTransport.Request(HttpMethod.Get, $"{repository}/blobs/{digest}");
        var response = await _transport.SendAsync(WithOffset(request, offset), RegistryScopes.Pull(repository), operation, cancellationToken).ConfigureAwait(false);
        for (var hop = 0; RegistryTransport.IsRedirect(response.StatusCode) && hop < MaxRedirects; hop++)
        {
            var from = response.RequestMessage!.RequestUri!;
            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new RegistryException($"{operation}: a redirect without a Location");
            }


            // Storage behind a redirect authenticates by its own signed URL; the registry's
            // credentials stay with the registry (no scope: the pipeline adds none).
            request = new HttpRequestMessage(HttpMethod.Get, location.IsAbsoluteUri ? location : new Uri(from, location));
            response = await _transport.SendAsync(WithOffset(request, offset), null, operation, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await _transport.EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                throw new RegistryException($"{operation}: the registry ignored the Range request to resume at byte {offset}", response.StatusCode, retryable: true);
            }

            // Disposing the content stream gives the connection back; the request has no body to free.
            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static HttpRequestMessage WithOffset(HttpRequestMessage request, long offset)
    {
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        return request;
    }
}
