using System.Text.Json;

namespace SyncGateway.Registry.Protocol;

/// <summary>
/// A manifest as the registry served it: the exact bytes, their digest and media type, and what
/// they reference. The bytes are what gets pushed again, so a copy keeps every digest.
/// </summary>
public sealed class Manifest
{
    /// <summary>Registries refuse larger manifests, and so does this project.</summary>
    public const int MaxSize = 4 * 1024 * 1024;

    private Manifest(string mediaType, ReadOnlyMemory<byte> bytes, Digest digest, Descriptor? config, IReadOnlyList<Descriptor> layers, IReadOnlyList<Descriptor> children, Descriptor? subject, string? artifactType)
    {
        Subject = subject;
        ArtifactType = artifactType;
        MediaType = mediaType;
        Bytes = bytes;
        Digest = digest;
        Config = config;
        Layers = layers;
        Children = children;
    }

    public string MediaType { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    public Digest Digest { get; }

    /// <summary>The config blob of an image manifest; null for an index.</summary>
    public Descriptor? Config { get; }

    /// <summary>The layers of an image manifest; empty for an index.</summary>
    public IReadOnlyList<Descriptor> Layers { get; }

    /// <summary>The manifests an index lists; empty for an image manifest.</summary>
    public IReadOnlyList<Descriptor> Children { get; }

    /// <summary>The manifest this one refers to (a signature's, an SBOM's, an attestation's image), when it names one.</summary>
    public Descriptor? Subject { get; }

    /// <summary>The artifact type as the referrers API reports it: <c>artifactType</c>, else an image manifest's config media type.</summary>
    public string? ArtifactType { get; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>Every blob an image manifest needs: its config, then its layers.</summary>
    public IEnumerable<Descriptor> Blobs => Config is null ? Layers : Layers.Prepend(Config);

    /// <summary>
    /// Parses manifest bytes. <paramref name="contentType"/> is the registry's Content-Type and is
    /// used when the manifest does not name its own media type. When <paramref name="expected"/>
    /// is given, the bytes must hash to it.
    /// </summary>
    public static Manifest Parse(ReadOnlyMemory<byte> bytes, string? contentType, Digest? expected = null)
    {
        if (bytes.Length > MaxSize)
        {
            throw new InvalidManifestException($"the manifest is {bytes.Length} bytes, over the {MaxSize}-byte limit");
        }

        Digest digest;
        if (expected is { } wanted)
        {
            if (!wanted.Matches(bytes.Span))
            {
                throw new InvalidManifestException($"the manifest bytes do not match the digest {wanted}");
            }

            digest = wanted;
        }
        else
        {
            digest = Digest.Compute(bytes.Span);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidManifestException("the manifest is not a JSON object");
            }

            var mediaType = root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String
                ? mt.GetString()!
                : StripParameters(contentType);
            if (mediaType is null || !MediaTypes.IsManifest(mediaType))
            {
                mediaType = root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex
                    : root.TryGetProperty("layers", out _) ? MediaTypes.OciManifest
                    : throw new InvalidManifestException($"unsupported manifest media type '{mediaType}'");
            }

            var subject = root.TryGetProperty("subject", out var subjectElement) ? ReadDescriptor(subjectElement, "subject") : null;
            var artifactType = root.TryGetProperty("artifactType", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null;
            if (MediaTypes.IsIndex(mediaType))
            {
                var children = ReadDescriptors(root, "manifests");
                return new Manifest(mediaType, bytes, digest, null, [], children, subject, artifactType);
            }

            var config = root.TryGetProperty("config", out var configElement)
                ? ReadDescriptor(configElement, "config")
                : throw new InvalidManifestException("the image manifest has no config");
            var layers = ReadDescriptors(root, "layers");
            return new Manifest(mediaType, bytes, digest, config, layers, [], subject, artifactType ?? config.MediaType);
        }
        catch (JsonException ex)
        {
            throw new InvalidManifestException($"the manifest is not valid JSON: {ex.Message}");
        }
    }

    private static string? StripParameters(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    private static List<Descriptor> ReadDescriptors(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var array))
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidManifestException($"'{property}' is not an array");
        }

        var list = new List<Descriptor>(array.GetArrayLength());
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            list.Add(ReadDescriptor(element, $"{property}[{index++}]"));
        }

        return list;
    }

    private static Descriptor ReadDescriptor(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidManifestException($"{path} is not an object");
        }

        var mediaType = element.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : string.Empty;
        var digestText = element.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        if (!Digest.TryParse(digestText, out var digest))
        {
            throw new InvalidManifestException($"{path}.digest '{digestText}' is not a valid digest");
        }

        if (!element.TryGetProperty("size", out var s) || !s.TryGetInt64(out var size) || size < 0)
        {
            throw new InvalidManifestException($"{path}.size is missing or negative");
        }

        Platform? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            var os = p.TryGetProperty("os", out var o) ? o.GetString() ?? string.Empty : string.Empty;
            var arch = p.TryGetProperty("architecture", out var a) ? a.GetString() ?? string.Empty : string.Empty;
            var variant = p.TryGetProperty("variant", out var v) ? v.GetString() : null;
            platform = new Platform(os, arch, variant);
        }

        var artifactType = element.TryGetProperty("artifactType", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null;
        return new Descriptor { MediaType = mediaType, Digest = digest, Size = size, Platform = platform, ArtifactType = artifactType };
    }
}
