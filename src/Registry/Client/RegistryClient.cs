using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using SyncGateway.Registry.Auth;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;
using SyncGateway.Registry.Streams;

namespace SyncGateway.Registry.Client;

/// <summary>
/// The distribution API of one registry host: manifests, tags and blobs, with authentication,
/// deliberate redirects and errors classified by the OCI error table. It does not retry: the
/// replicator retries whole units of work, because a streamed body cannot be sent twice.
/// </summary>
public sealed class RegistryClient
{
    private const int MaxRedirects = 5;
    private const int MaxTagPages = 10_000;
    private const int BlobResumes = 3;
    private const int UploadBufferSize = 128 * 1024;
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromMinutes(2);

    private readonly RegistryEndpoint _endpoint;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly RegistryAuthenticator _auth;
    private readonly HttpMessageInvoker? _invoker;
    private readonly Action<string, double>? _rateLimitObserved;
    private readonly SemaphoreSlim _probeLock = new(1, 1);
    private Uri? _baseUri;
    private volatile bool _probed;

    public RegistryClient(RegistryEndpoint endpoint, HttpClient http, TimeProvider time, HttpMessageInvoker? invoker = null, Action<string, double>? rateLimitObserved = null)
    {
        _endpoint = endpoint;
        _http = http;
        _invoker = invoker;
        _rateLimitObserved = rateLimitObserved;
        _time = time;
        _auth = new RegistryAuthenticator(endpoint.ApiHost, endpoint.Credentials, http, time);
    }

    public RegistryEndpoint Endpoint => _endpoint;

    /// <summary>The same connection pool as a plain invoker, for forwarding requests as they are.</summary>
    public HttpMessageInvoker Invoker => _invoker ?? throw new InvalidOperationException("this client was made without an invoker");

    /// <summary>The registry's API root, <c>http(s)://host/v2/</c>.</summary>
    public Task<Uri> GetBaseUriAsync(CancellationToken cancellationToken) => BaseUriAsync(cancellationToken);

    /// <summary>
    /// Puts this registry's service credentials on a request that is about to be forwarded (a
    /// token for <paramref name="scope"/>, or Basic), learning the registry's challenge first.
    /// </summary>
    public async Task AuthorizeAsync(HttpRequestMessage request, string scope, CancellationToken cancellationToken)
    {
        if (!_auth.KnowsChallenge && !_probed)
        {
            // Once: a registry that challenges is answered from then on; one that does not needs nothing.
            using var probe = await SendAsync(() => Request(HttpMethod.Get, string.Empty), scope, $"GET {_endpoint.Host}/v2/", cancellationToken).ConfigureAwait(false);
            _probed = true;
        }

        await _auth.ApplyAsync(request, scope, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves a manifest reference to its descriptor with a HEAD; null when it does not exist.</summary>
    public async Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        using var response = await SendAsync(
            () => Request(HttpMethod.Head, $"{repository}/manifests/{reference}", accept: MediaTypes.ManifestAccept),
            PullScope(repository), $"HEAD manifest {Describe(repository, reference)}", timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"HEAD manifest {Describe(repository, reference)}", timeout.Token).ConfigureAwait(false);
        var digestHeader = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (!Digest.TryParse(digestHeader, out var digest))
        {
            // Some registries leave the digest out of a HEAD; the manifest itself tells.
            var manifest = await GetManifestAsync(repository, reference, cancellationToken).ConfigureAwait(false);
            return new Descriptor { MediaType = manifest.MediaType, Digest = manifest.Digest, Size = manifest.Bytes.Length };
        }

        return new Descriptor
        {
            MediaType = response.Content.Headers.ContentType?.MediaType ?? string.Empty,
            Digest = digest,
            Size = response.Content.Headers.ContentLength ?? -1,
        };
    }

    /// <summary>Fetches a manifest's exact bytes; a digest reference is verified against the bytes.</summary>
    public async Task<Manifest> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        var operation = $"GET manifest {Describe(repository, reference)}";
        using var timeout = Timeout(cancellationToken);
        using var response = await SendAsync(
            () => Request(HttpMethod.Get, $"{repository}/manifests/{reference}", accept: MediaTypes.ManifestAccept),
            PullScope(repository), operation, timeout.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);

        if (response.Content.Headers.ContentLength > Manifest.MaxSize)
        {
            throw new InvalidManifestException($"{operation}: the manifest is {response.Content.Headers.ContentLength} bytes, over the {Manifest.MaxSize}-byte limit");
        }

        var bytes = await ReadCappedAsync(response.Content, Manifest.MaxSize, timeout.Token).ConfigureAwait(false);
        Digest? expected = Digest.TryParse(reference, out var byDigest) ? byDigest
            : Digest.TryParse(response.Headers.TryGetValues("Docker-Content-Digest", out var v) ? v.FirstOrDefault() : null, out var header) ? header
            : null;
        try
        {
            return Manifest.Parse(bytes, response.Content.Headers.ContentType?.MediaType, expected);
        }
        catch (InvalidManifestException ex)
        {
            throw new InvalidManifestException($"{operation}: {ex.Message}");
        }
    }

    /// <summary>Pushes the manifest's own bytes under a tag or its digest.</summary>
    public async Task PutManifestAsync(string repository, string reference, Manifest manifest, CancellationToken cancellationToken)
    {
        var operation = $"PUT manifest {Describe(repository, reference)}";
        using var timeout = Timeout(cancellationToken);
        using var response = await SendAsync(
            () =>
            {
                var request = Request(HttpMethod.Put, $"{repository}/manifests/{reference}");
                request.Content = new ReadOnlyMemoryContent(manifest.Bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
                return request;
            },
            PushScope(repository), operation, timeout.Token).ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
        var pushed = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (Digest.TryParse(pushed, out var digest) && digest != manifest.Digest)
        {
            throw new RegistryException($"{operation}: the registry stored the manifest as {digest}, not {manifest.Digest}");
        }
    }

    /// <summary>Lists every tag of a repository, following <c>Link</c> pagination.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken cancellationToken)
    {
        var operation = $"list tags of {_endpoint.Host}/{repository}";
        var tags = new List<string>();
        var path = $"{repository}/tags/list?n=1000";
        for (var page = 0; page < MaxTagPages && path is not null; page++)
        {
            using var timeout = Timeout(cancellationToken);
            var current = path;
            using var response = await SendAsync(() => Request(HttpMethod.Get, current), PullScope(repository), operation, timeout.Token).ConfigureAwait(false);
            await EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
            var body = await ReadCappedAsync(response.Content, 16 * 1024 * 1024, timeout.Token).ConfigureAwait(false);
            using (var document = JsonDocument.Parse(body))
            {
                if (document.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    tags.AddRange(list.EnumerateArray().Select(t => t.GetString()).OfType<string>());
                }
            }

            path = NextPage(response);
        }

        return tags;
    }

    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken cancellationToken)
    {
        var operation = $"HEAD blob {_endpoint.Host}/{repository}@{digest}";
        using var timeout = Timeout(cancellationToken);
        using var response = await SendAsync(() => Request(HttpMethod.Head, $"{repository}/blobs/{digest}"), PullScope(repository), operation, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        // A registry that keeps blobs in object storage answers with a redirect to them.
        if (IsRedirect(response.StatusCode))
        {
            return true;
        }

        await EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Opens a blob for reading. The stream resumes a dropped download with a Range request and
    /// follows redirects to storage without the registry's Authorization header.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(string repository, Descriptor blob, CancellationToken cancellationToken)
    {
        var first = await OpenBlobAtAsync(repository, blob.Digest, 0, cancellationToken).ConfigureAwait(false);
        return new ResumingStream(first, blob.Size, (offset, ct) => OpenBlobAtAsync(repository, blob.Digest, offset, ct), BlobResumes);
    }

    private async Task<Stream> OpenBlobAtAsync(string repository, Digest digest, long offset, CancellationToken cancellationToken)
    {
        var operation = $"GET blob {_endpoint.Host}/{repository}@{digest}";
        var response = await SendAsync(
            () =>
            {
                var request = Request(HttpMethod.Get, $"{repository}/blobs/{digest}");
                if (offset > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(offset, null);
                }

                return request;
            },
            PullScope(repository), operation, cancellationToken).ConfigureAwait(false);

        for (var hop = 0; IsRedirect(response.StatusCode) && hop < MaxRedirects; hop++)
        {
            var from = response.RequestMessage!.RequestUri!;
            var location = response.Headers.Location ?? throw new RegistryException($"{operation}: a redirect without a Location");
            response.Dispose();
            var target = location.IsAbsoluteUri ? location : new Uri(from, location);
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
            }

            // Storage behind a redirect authenticates by its own signed URL; the registry's
            // credentials stay with the registry.
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                throw new RegistryException($"{operation}: the registry ignored the Range request to resume at byte {offset}", response.StatusCode, retryable: true);
            }

            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an upload. With <paramref name="mountFrom"/>, asks the registry to mount the blob from
    /// that repository of the same registry; a registry that cannot answers with a session instead.
    /// </summary>
    public async Task<UploadStart> StartUploadAsync(string repository, Digest? mount, string? mountFrom, CancellationToken cancellationToken)
    {
        var operation = $"start blob upload to {_endpoint.Host}/{repository}";
        var query = mount is { } digest && mountFrom is not null
            ? $"?mount={digest}&from={Uri.EscapeDataString(mountFrom)}"
            : string.Empty;
        var scope = mountFrom is null ? PushScope(repository) : $"{PushScope(repository)} {PullScope(mountFrom)}";
        using var timeout = Timeout(cancellationToken);
        using var response = await SendAsync(() => Request(HttpMethod.Post, $"{repository}/blobs/uploads/{query}"), scope, operation, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created && query.Length > 0)
        {
            return new UploadStart(true, null);
        }

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            await EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
            throw new RegistryException($"{operation}: unexpected {(int)response.StatusCode} {response.StatusCode}", response.StatusCode);
        }

        return new UploadStart(false, ResolveLocation(response, operation));
    }

    /// <summary>
    /// Sends a blob's content to an upload session: one streamed PUT, or PATCH chunks when the blob
    /// is larger than the endpoint's chunk size. <paramref name="content"/> must yield exactly the
    /// blob (a <see cref="VerifyingStream"/> makes sure of that).
    /// </summary>
    public async Task CompleteUploadAsync(string repository, Uri location, Descriptor blob, Stream content, CancellationToken cancellationToken)
    {
        var operation = $"upload blob {blob.Digest} to {_endpoint.Host}/{repository}";
        var scope = PushScope(repository);
        if (blob.Size > _endpoint.ChunkSize)
        {
            long offset = 0;
            while (offset < blob.Size)
            {
                var length = Math.Min(_endpoint.ChunkSize, blob.Size - offset);
                var start = offset;
                var target = location;
                using var chunk = new SliceStream(content, length);
                using var patch = await SendAsync(
                    () =>
                    {
                        var request = new HttpRequestMessage(HttpMethod.Patch, target) { Content = new StreamContent(chunk, UploadBufferSize) };
                        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        request.Content.Headers.ContentLength = length;
                        request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                        return request;
                    },
                    scope, operation, cancellationToken, replayable: false).ConfigureAwait(false);
                if (patch.StatusCode != HttpStatusCode.Accepted)
                {
                    await EnsureSuccessAsync(patch, operation, cancellationToken).ConfigureAwait(false);
                    throw new RegistryException($"{operation}: chunk at {start} got {(int)patch.StatusCode}", patch.StatusCode);
                }

                location = ResolveLocation(patch, operation);
                offset += length;
            }

            // The chunks end exactly at the blob's size; reading on lets the verifier check the end.
            if (await content.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new DigestMismatchException(blob.Digest, $"blob {blob.Digest} is longer than its {blob.Size} bytes");
            }

            using var close = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)), scope, operation, cancellationToken).ConfigureAwait(false);
            await EnsureCreatedAsync(close, operation, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var put = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = new StreamContent(content, UploadBufferSize) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.ContentLength = blob.Size;
                return request;
            },
            scope, operation, cancellationToken, replayable: false).ConfigureAwait(false);
        await EnsureCreatedAsync(put, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels an upload session that will not be completed, so the registry can forget it.</summary>
    public async Task CancelUploadAsync(string repository, Uri location)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, location), PushScope(repository), "cancel upload", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or RegistryException)
        {
            // Best effort: the registry expires abandoned sessions by itself.
        }
    }

    private async Task EnsureCreatedAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new RegistryException($"{operation}: expected 201 Created, got {(int)response.StatusCode}", response.StatusCode);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string scope, string operation, CancellationToken cancellationToken, bool replayable = true)
    {
        var baseUri = await BaseUriAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            if (!request.RequestUri!.IsAbsoluteUri)
            {
                request.RequestUri = new Uri(baseUri, request.RequestUri);
            }

            await _auth.ApplyAsync(request, scope, cancellationToken).ConfigureAwait(false);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (FindInner<DigestMismatchException>(ex) is { } mismatch)
            {
                // The body we were sending failed its verification: that is the failure, not the network.
                ExceptionDispatchInfo.Throw(mismatch);
                throw;
            }
            catch (HttpRequestException ex)
            {
                throw new RegistryException($"{operation}: {_endpoint.Host} cannot be reached ({ex.Message})", null, null, retryable: true, inner: ex);
            }

            ObserveRateLimit(response);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && _auth.OnUnauthorized(response, request, scope))
            {
                response.Dispose();
                if (!replayable)
                {
                    // The body was a stream and is gone; the token had expired, so the whole unit
                    // of work is worth repeating with a fresh one.
                    throw new RegistryException($"{operation}: authorization expired during the transfer", HttpStatusCode.Unauthorized, "UNAUTHORIZED", retryable: true);
                }

                continue;
            }

            return response;
        }
    }

    // Docker Hub and others say how many requests are left: "RateLimit-Remaining: 76;w=21600".
    private void ObserveRateLimit(HttpResponseMessage response)
    {
        if (_rateLimitObserved is not null
            && response.Headers.TryGetValues("RateLimit-Remaining", out var values)
            && double.TryParse(values.First().Split(';')[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var remaining))
        {
            _rateLimitObserved(_endpoint.Host, remaining);
        }
    }

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

    private async Task<Uri> BaseUriAsync(CancellationToken cancellationToken)
    {
        if (_baseUri is { } known)
        {
            return known;
        }

        if (!_endpoint.Insecure)
        {
            return _baseUri = new Uri($"https://{_endpoint.ApiHost}/v2/");
        }

        // image-syncer's insecure: HTTPS without verification where the registry speaks it,
        // else plain HTTP. Probe once and remember the answer.
        await _probeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_baseUri is { } probed)
            {
                return probed;
            }

            foreach (var scheme in new[] { "https", "http" })
            {
                var candidate = new Uri($"{scheme}://{_endpoint.ApiHost}/v2/");
                try
                {
                    using var probe = new HttpRequestMessage(HttpMethod.Get, candidate);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(15));
                    using var response = await _http.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    return _baseUri = candidate;
                }
                catch (HttpRequestException)
                {
                    // try the next scheme
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // try the next scheme
                }
            }

            throw new RegistryException($"{_endpoint.Host} cannot be reached over https or http", retryable: true);
        }
        finally
        {
            _probeLock.Release();
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryException.FromResponseAsync(response, operation, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string relativePath, string? accept = null)
    {
        var request = new HttpRequestMessage(method, new Uri(relativePath, UriKind.Relative));
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return request;
    }

    private Uri ResolveLocation(HttpResponseMessage response, string operation)
    {
        var location = response.Headers.Location ?? throw new RegistryException($"{operation}: the registry gave no upload Location");
        var resolved = location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
        if (!string.Equals(resolved.Authority, response.RequestMessage!.RequestUri!.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryException($"{operation}: the upload Location points at another host ({resolved.Authority}); not sending the blob there");
        }

        return resolved;
    }

    private static Uri WithDigest(Uri location, Digest digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length == 0 ? string.Empty : query + "&") + "digest=" + Uri.EscapeDataString(digest.ToString());
        return builder.Uri;
    }

    private string? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            if (!link.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase) && !link.Contains("rel=next", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open < 0 || close <= open)
            {
                continue;
            }

            var target = new Uri(response.RequestMessage!.RequestUri!, link[(open + 1)..close]);
            var baseUri = _baseUri!;
            if (!target.AbsoluteUri.StartsWith(baseUri.AbsoluteUri, StringComparison.Ordinal))
            {
                throw new RegistryException($"list tags: the registry's next page ({target.Authority}{target.AbsolutePath}) is outside {baseUri}");
            }

            return target.AbsoluteUri[baseUri.AbsoluteUri.Length..];
        }

        return null;
    }

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, int cap, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > cap)
            {
                throw new InvalidManifestException($"the answer is over the {cap}-byte limit");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(MetadataTimeout);
        return source;
    }

    private string Describe(string repository, string reference) =>
        reference.Contains(':', StringComparison.Ordinal) ? $"{_endpoint.Host}/{repository}@{reference}" : $"{_endpoint.Host}/{repository}:{reference}";

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    public static string PullScope(string repository) => $"repository:{repository}:pull";

    public static string PushScope(string repository) => $"repository:{repository}:pull,push";
}
