using System.Net;
using System.Net.Http.Headers;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Client;

/// <summary>Manifests of one registry: resolved with HEAD, read as their exact bytes, pushed as the same bytes.</summary>
public sealed class ManifestStore
{
    private readonly RegistryTransport _transport;

    internal ManifestStore(RegistryTransport transport) => _transport = transport;

    /// <summary>Resolves a manifest reference to its descriptor with a HEAD; null when it does not exist.</summary>
    public async Task<Descriptor?> HeadAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        var operation = $"HEAD manifest {_transport.Describe(repository, reference)}";
        using var timeout = RegistryTransport.Timeout(cancellationToken);
        using var request = RegistryTransport.Request(HttpMethod.Head, $"{repository}/manifests/{reference}", accept: MediaTypes.ManifestAccept);
        using var response = await _transport.SendAsync(request, RegistryScopes.Pull(repository), operation, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
        var digestHeader = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (!Digest.TryParse(digestHeader, out var digest))
        {
            // Some registries leave the digest out of a HEAD; the manifest itself tells.
            var manifest = await GetAsync(repository, reference, cancellationToken).ConfigureAwait(false);
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
    public async Task<Manifest> GetAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        var operation = $"GET manifest {_transport.Describe(repository, reference)}";
        using var timeout = RegistryTransport.Timeout(cancellationToken);
        using var request = RegistryTransport.Request(HttpMethod.Get, $"{repository}/manifests/{reference}", accept: MediaTypes.ManifestAccept);
        using var response = await _transport.SendAsync(request, RegistryScopes.Pull(repository), operation, timeout.Token).ConfigureAwait(false);
        await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);

        if (response.Content.Headers.ContentLength > Manifest.MaxSize)
        {
            throw new InvalidManifestException($"{operation}: the manifest is {response.Content.Headers.ContentLength} bytes, over the {Manifest.MaxSize}-byte limit");
        }

        var bytes = await RegistryTransport.ReadCappedAsync(response.Content, Manifest.MaxSize, timeout.Token).ConfigureAwait(false);
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
    public async Task PutAsync(string repository, string reference, Manifest manifest, CancellationToken cancellationToken)
    {
        var operation = $"PUT manifest {_transport.Describe(repository, reference)}";
        using var timeout = RegistryTransport.Timeout(cancellationToken);
        using var request = RegistryTransport.Request(HttpMethod.Put, $"{repository}/manifests/{reference}");
        request.Content = new ReadOnlyMemoryContent(manifest.Bytes);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        using var response = await _transport.SendAsync(request, RegistryScopes.Push(repository), operation, timeout.Token).ConfigureAwait(false);
        await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
        var pushed = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (Digest.TryParse(pushed, out var digest) && digest != manifest.Digest)
        {
            throw new RegistryException($"{operation}: the registry stored the manifest as {digest}, not {manifest.Digest}");
        }
    }
}
