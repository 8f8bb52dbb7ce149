using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SyncGateway.Testing;

/// <summary>An image pushed by the seeder: its manifest bytes and digest, and its layers.</summary>
public sealed record SeededImage(string Repository, string Tag, string Digest, string MediaType, byte[] Manifest, IReadOnlyList<string> LayerDigests, long Size);

/// <summary>
/// Puts test images into a real registry with plain HTTP calls written for the tests alone, so
/// what the product copies was not made by the product. Also reads back what a registry holds.
/// A registry in token mode is answered with tokens for the seeder's login (<see cref="BearerChallengeHandler"/>).
/// </summary>
public sealed class ImageSeeder : IDisposable
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    private const string AcceptAll = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

    private readonly HttpClient _http;
    private readonly Uri _base;

    /// <summary>
    /// A seeder for <paramref name="host"/>. The login, if any, goes to a registry with Basic auth
    /// as it is, and to a token-mode registry's token service for a bearer token per repository.
    /// </summary>
    public ImageSeeder(string host, string? username = null, string? password = null)
    {
        Host = host;
        _base = new Uri($"http://{host}/v2/");
        var login = username is null ? null : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        _http = new HttpClient(new BearerChallengeHandler(login)) { Timeout = TimeSpan.FromMinutes(10) };
        _http.DefaultRequestHeaders.Authorization = login;
    }

    /// <summary>The registry this seeder writes to, <c>host:port</c>.</summary>
    public string Host { get; }

    public static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A real gzip stream of random bytes: a layer that clients such as skopeo take as it is.</summary>
    public static byte[] GzipBytes(int size, int seed)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(RandomBytes(size, seed));
        }

        return output.ToArray();
    }

    /// <summary>
    /// A real image layer: a gzipped tar holding one file, and its diff id (the digest of the tar
    /// itself), which a client that unpacks layers (containerd) checks against the config.
    /// </summary>
    public static (byte[] Layer, string DiffId) TarLayer(string fileName, byte[] content)
    {
        using var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, fileName) { DataStream = new MemoryStream(content) };
            writer.WriteEntry(entry);
        }

        var bytes = tar.ToArray();
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return (output.ToArray(), DigestOf(bytes));
    }

    /// <summary>Pushes an image of real layers (<see cref="TarLayer"/>) that clients can unpack.</summary>
    public async Task<SeededImage> PushUnpackableImageAsync(string repository, string tag, IReadOnlyList<(byte[] Layer, string DiffId)> layers, string architecture = "amd64")
    {
        var descriptors = new List<object>();
        var digests = new List<string>();
        foreach (var (layer, _) in layers)
        {
            var digest = await PushBlobAsync(repository, layer).ConfigureAwait(false);
            digests.Add(digest);
            descriptors.Add(new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest, size = layer.Length });
        }

        return await PushManifestForLayersAsync(repository, tag, descriptors, digests, layers.Sum(l => (long)l.Layer.Length), OciManifest, architecture, layers.Select(l => l.DiffId).ToList()).ConfigureAwait(false);
    }

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public async Task<string> PushBlobAsync(string repository, byte[] content)
    {
        var digest = DigestOf(content);
        await PushBlobAsync(repository, digest, new ByteArrayContent(content)).ConfigureAwait(false);
        return digest;
    }

    /// <summary>Pushes <paramref name="size"/> generated bytes without holding them in memory.</summary>
    public async Task<string> PushGeneratedBlobAsync(string repository, long size, int seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var stream = new GeneratedStream(size, seed))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        var content = new StreamContent(new GeneratedStream(size, seed), 1 << 20);
        content.Headers.ContentLength = size;
        await PushBlobAsync(repository, digest, content).ConfigureAwait(false);
        return digest;
    }

    private async Task PushBlobAsync(string repository, string digest, HttpContent content)
    {
        using var start = await _http.PostAsync(new Uri(_base, $"{repository}/blobs/uploads/"), null).ConfigureAwait(false);
        if (start.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"seeding {repository}: upload start answered {(int)start.StatusCode}");
        }

        var location = new Uri(new Uri(_base, "/"), start.Headers.Location!);
        var separator = location.Query.Length > 0 ? "&" : "?";
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await _http.PutAsync(new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest)), content).ConfigureAwait(false);
        if (put.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"seeding {repository}: blob upload answered {(int)put.StatusCode} {await put.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }

    /// <summary>Pushes an image with a fresh config and the given layers (already pushed or pushed now).</summary>
    public async Task<SeededImage> PushImageAsync(string repository, string tag, IReadOnlyList<byte[]> layers, string mediaType = OciManifest, string architecture = "amd64")
    {
        var layerDescriptors = new List<object>();
        var layerDigests = new List<string>();
        long size = 0;
        foreach (var layer in layers)
        {
            var digest = await PushBlobAsync(repository, layer).ConfigureAwait(false);
            layerDigests.Add(digest);
            size += layer.Length;
            layerDescriptors.Add(new { mediaType = mediaType == OciManifest ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip", digest, size = layer.Length });
        }

        return await PushManifestForLayersAsync(repository, tag, layerDescriptors, layerDigests, size, mediaType, architecture).ConfigureAwait(false);
    }

    /// <summary>Pushes an image whose layers are already in the repository, by digest and size.</summary>
    public async Task<SeededImage> PushImageWithLayersAsync(string repository, string tag, IReadOnlyList<(string Digest, long Size)> layers)
    {
        var descriptors = layers.Select(l => (object)new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = l.Digest, size = l.Size }).ToList();
        return await PushManifestForLayersAsync(repository, tag, descriptors, layers.Select(l => l.Digest).ToList(), layers.Sum(l => l.Size), OciManifest, "amd64").ConfigureAwait(false);
    }

    private async Task<SeededImage> PushManifestForLayersAsync(string repository, string tag, List<object> layerDescriptors, List<string> layerDigests, long size, string mediaType, string architecture, List<string>? diffIds = null)
    {
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture,
            os = "linux",
            rootfs = new { type = "layers", diff_ids = diffIds ?? layerDigests },
            config = new { Labels = new Dictionary<string, string> { ["seed"] = $"{repository}:{tag}:{Guid.NewGuid()}" } },
        });
        var configDigest = await PushBlobAsync(repository, config).ConfigureAwait(false);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType,
            config = new { mediaType = mediaType == OciManifest ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json", digest = configDigest, size = config.Length },
            layers = layerDescriptors,
        });
        var digest = await PushManifestAsync(repository, tag, manifest, mediaType).ConfigureAwait(false);
        return new SeededImage(repository, tag, digest, mediaType, manifest, layerDigests, size + config.Length);
    }

    /// <summary>Pushes a multi-arch index over images already pushed to the repository.</summary>
    public async Task<SeededImage> PushIndexAsync(string repository, string tag, IReadOnlyList<(SeededImage Image, string Os, string Architecture)> entries)
    {
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciIndex,
            manifests = entries.Select(e => new
            {
                mediaType = e.Image.MediaType,
                digest = e.Image.Digest,
                size = e.Image.Manifest.Length,
                platform = new { os = e.Os, architecture = e.Architecture },
            }),
        });
        var digest = await PushManifestAsync(repository, tag, index, OciIndex).ConfigureAwait(false);
        return new SeededImage(repository, tag, digest, OciIndex, index, [], entries.Sum(e => e.Image.Size));
    }

    /// <summary>
    /// Pushes an OCI 1.1 artifact that refers to <paramref name="subject"/> (a signature, an SBOM, an
    /// attestation): the empty config, one layer of <paramref name="payload"/>, <c>artifactType</c>
    /// and <c>subject</c>, by digest, as oras and cosign's OCI 1.1 mode push them.
    /// </summary>
    public async Task<SeededImage> PushReferrerAsync(string repository, SeededImage subject, string artifactType, string layerMediaType, byte[] payload)
    {
        var empty = "{}"u8.ToArray();
        var emptyDigest = await PushBlobAsync(repository, empty).ConfigureAwait(false);
        var layer = await PushBlobAsync(repository, payload).ConfigureAwait(false);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciManifest,
            artifactType,
            config = new { mediaType = "application/vnd.oci.empty.v1+json", digest = emptyDigest, size = empty.Length },
            layers = new[] { new { mediaType = layerMediaType, digest = layer, size = payload.Length } },
            subject = new { mediaType = subject.MediaType, digest = subject.Digest, size = subject.Manifest.Length },
        });
        var digest = await PushManifestAsync(repository, DigestOf(manifest), manifest, OciManifest).ConfigureAwait(false);
        return new SeededImage(repository, digest, digest, OciManifest, manifest, [layer], payload.Length + empty.Length);
    }

    /// <summary>
    /// Lists referrers of <paramref name="subject"/> in the tag-schema fallback, as clients do on a
    /// registry without the referrers API: an index of them under the tag <c>sha256-HEX</c>.
    /// </summary>
    public Task<string> PushFallbackIndexAsync(string repository, SeededImage subject, IReadOnlyList<(SeededImage Referrer, string ArtifactType)> referrers)
    {
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciIndex,
            manifests = referrers.Select(r => new { mediaType = r.Referrer.MediaType, digest = r.Referrer.Digest, size = r.Referrer.Manifest.Length, artifactType = r.ArtifactType }),
        });
        return PushManifestAsync(repository, FallbackTag(subject.Digest), index, OciIndex);
    }

    /// <summary>A signature the way cosign's default (tag) mode keeps it: a manifest under <c>sha256-HEX.sig</c>, without a subject.</summary>
    public async Task<SeededImage> PushCosignSignatureAsync(string repository, SeededImage subject)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new { critical = new { image = new { docker_manifest_digest = subject.Digest }, type = "cosign container image signature" } });
        var config = "{}"u8.ToArray();
        var configDigest = await PushBlobAsync(repository, config).ConfigureAwait(false);
        var layer = await PushBlobAsync(repository, payload).ConfigureAwait(false);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciManifest,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest, size = config.Length },
            layers = new[]
            {
                new { mediaType = "application/vnd.dev.cosign.simplesigning.v1+json", digest = layer, size = payload.Length, annotations = new Dictionary<string, string> { ["dev.cosignproject.cosign/signature"] = "MEUCIQDtest" } },
            },
        });
        var tag = FallbackTag(subject.Digest) + ".sig";
        var digest = await PushManifestAsync(repository, tag, manifest, OciManifest).ConfigureAwait(false);
        return new SeededImage(repository, tag, digest, OciManifest, manifest, [layer], payload.Length + config.Length);
    }

    /// <summary>The fallback tag of a digest: <c>sha256:HEX</c> becomes <c>sha256-HEX</c>.</summary>
    public static string FallbackTag(string digest) => digest.Replace(':', '-');

    public async Task<string> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType)
    {
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await _http.PutAsync(new Uri(_base, $"{repository}/manifests/{reference}"), content).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"seeding {repository}:{reference}: manifest push answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }

        return DigestOf(manifest);
    }

    /// <summary>The digest a registry gives for a tag or digest (HEAD), or null when it has none.</summary>
    public async Task<string?> ManifestDigestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(_base, $"{repository}/manifests/{reference}"));
        request.Headers.TryAddWithoutValidation("Accept", AcceptAll);
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null
            : response.IsSuccessStatusCode ? response.Headers.GetValues("Docker-Content-Digest").First()
            : throw new InvalidOperationException($"HEAD {repository}:{reference} answered {(int)response.StatusCode}");
    }

    /// <summary>The manifest bytes a registry serves, or null.</summary>
    public async Task<byte[]?> ManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"{repository}/manifests/{reference}"));
        request.Headers.TryAddWithoutValidation("Accept", AcceptAll);
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
    }

    public async Task<bool> BlobExistsAsync(string repository, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(_base, $"{repository}/blobs/{digest}"));
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    public async Task<IReadOnlyList<string>> TagsAsync(string repository)
    {
        using var response = await _http.GetAsync(new Uri(_base, $"{repository}/tags/list")).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false));
        return document.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Select(t => t.GetString()!).ToList()
            : [];
    }

    public void Dispose() => _http.Dispose();
}
