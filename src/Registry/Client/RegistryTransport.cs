using System.Buffers;
using System.Net;
using System.Runtime.ExceptionServices;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;
using SyncGateway.Registry.Transport;

namespace SyncGateway.Registry.Client;

/// <summary>
/// What the focused clients of one registry share: sending a request through the endpoint's
/// pipeline with the scope it needs, turning transport failures and error answers into
/// <see cref="RegistryException"/>s, and the small rules of the protocol (locations, digests on
/// upload URLs, caps on what is read into memory). It does not retry: the replicator retries whole
/// units of work, because a streamed body cannot be sent twice.
/// </summary>
internal sealed class RegistryTransport(RegistryEndpoint endpoint, RegistryPipeline pipeline, TimeProvider time)
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromMinutes(2);

    public RegistryEndpoint Endpoint => endpoint;

    public Uri BaseUri => pipeline.BaseUri;

    /// <summary>Sends a request (relative paths are below <c>/v2/</c>) with the service credentials for <paramref name="scope"/>.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string? scope, string operation, CancellationToken cancellationToken)
    {
        if (!request.RequestUri!.IsAbsoluteUri)
        {
            request.RequestUri = new Uri(BaseUri, request.RequestUri);
        }

        if (scope is not null)
        {
            request.UseServiceCredentials(scope);
        }

        HttpResponseMessage response;
        try
        {
            response = await pipeline.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (FindInner<DigestMismatchException>(ex) is { } mismatch)
        {
            // The body we were sending failed its verification: that is the failure, not the network.
            ExceptionDispatchInfo.Throw(mismatch);
            throw;
        }
        catch (HttpRequestException ex)
        {
            throw new RegistryException($"{operation}: {endpoint.Host} cannot be reached ({ex.Message})", null, null, retryable: true, inner: ex);
        }

        if (request.AuthorizationExpired())
        {
            response.Dispose();
            throw new RegistryException($"{operation}: authorization expired during the transfer", HttpStatusCode.Unauthorized, "UNAUTHORIZED", retryable: true);
        }

        return response;
    }

    public async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryException.FromResponseAsync(response, operation, time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task EnsureCreatedAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new RegistryException($"{operation}: expected 201 Created, got {(int)response.StatusCode}", response.StatusCode);
        }
    }

    /// <summary>A request below <c>/v2/</c>.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string relativePath, string? accept = null)
    {
        var request = new HttpRequestMessage(method, new Uri(relativePath, UriKind.Relative));
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return request;
    }

    /// <summary>A timeout for a request that carries no blob.</summary>
    public static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(MetadataTimeout);
        return source;
    }

    /// <summary>An upload Location, resolved, and refused if it points at another host.</summary>
    public static Uri ResolveLocation(HttpResponseMessage response, string operation)
    {
        var location = response.Headers.Location ?? throw new RegistryException($"{operation}: the registry gave no upload Location");
        var resolved = location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
        if (!string.Equals(resolved.Authority, response.RequestMessage!.RequestUri!.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryException($"{operation}: the upload Location points at another host ({resolved.Authority}); not sending the blob there");
        }

        return resolved;
    }

    public static Uri WithDigest(Uri location, Digest digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length == 0 ? string.Empty : query + "&") + "digest=" + Uri.EscapeDataString(digest.ToString());
        return builder.Uri;
    }

    /// <summary>
    /// A small answer (a manifest, a tag list, a catalog page) read whole, failing once it passes
    /// <paramref name="cap"/> bytes. A length the answer declares sizes the buffer exactly; an
    /// answer without one is read through a pooled chunk, so reading one costs its own bytes and
    /// not a fresh 80 KiB buffer each time (two of those were most of what a tiny image's copy allocated).
    /// </summary>
    public static async Task<byte[]> ReadCappedAsync(HttpContent content, int cap, CancellationToken cancellationToken)
    {
        var declared = content.Headers.ContentLength;
        if (declared > cap)
        {
            throw new InvalidManifestException($"the answer is over the {cap}-byte limit ({declared} bytes declared)");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (declared is { } length)
        {
            // HTTP framing ends the body at its length (a shorter one fails the read), so this is all of it.
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
            return body;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > cap)
                {
                    throw new InvalidManifestException($"the answer is over the {cap}-byte limit");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    public string Describe(string repository, string reference) =>
        reference.Contains(':', StringComparison.Ordinal) ? $"{endpoint.Host}/{repository}@{reference}" : $"{endpoint.Host}/{repository}:{reference}";

    public static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (var current = exception.InnerException; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
