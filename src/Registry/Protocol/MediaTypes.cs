namespace SyncGateway.Registry.Protocol;

/// <summary>The manifest and blob media types this project reads and writes, in one place.</summary>
public static class MediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>The value of an Accept header that asks for every manifest type this project copies.</summary>
    public static readonly string ManifestAccept = string.Join(", ", OciIndex, OciManifest, DockerManifestList, DockerManifest);

    public static bool IsIndex(string mediaType) => mediaType is DockerManifestList or OciIndex;

    public static bool IsImageManifest(string mediaType) => mediaType is DockerManifest or OciManifest;

    public static bool IsManifest(string mediaType) => IsIndex(mediaType) || IsImageManifest(mediaType);
}
