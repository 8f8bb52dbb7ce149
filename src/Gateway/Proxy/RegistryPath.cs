using System.Text.RegularExpressions;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Gateway.Proxy;

public enum RegistryRoute
{
    Base,
    Catalog,
    Tags,
    Manifest,
    Blob,
    Upload,
    Referrers,
}

/// <summary>
/// A <c>/v2/</c> request path taken apart strictly: the repository must be a valid name, the
/// reference a valid tag or digest, the digest a sha256/sha512 digest, the upload id plain
/// characters. Nothing that fails reaches an upstream URL; the forwarded path is rebuilt from
/// these parts, never copied from the client.
/// </summary>
public sealed partial record RegistryPath(RegistryRoute Route, string? Repository, string? Reference, Digest? Digest, string? UploadId)
{
    public bool IsByDigest => Digest is not null;

    /// <summary>The path below <c>/v2/</c> to send upstream, for <paramref name="repository"/>.</summary>
    public string UpstreamPath(string repository) => Route switch
    {
        RegistryRoute.Base => string.Empty,
        RegistryRoute.Catalog => "_catalog",
        RegistryRoute.Tags => $"{repository}/tags/list",
        RegistryRoute.Manifest => $"{repository}/manifests/{Reference}",
        RegistryRoute.Blob => $"{repository}/blobs/{Digest}",
        RegistryRoute.Upload => $"{repository}/blobs/uploads/{UploadId}",
        RegistryRoute.Referrers => $"{repository}/referrers/{Digest}",
        _ => throw new InvalidOperationException(),
    };

    /// <summary>
    /// Parses the part of the path after <c>/v2/</c>; null when it is not a valid registry path, with
    /// the OCI error code that says which part is wrong and a reason.
    /// </summary>
    public static RegistryPath? Parse(string path, out RegistryErrorCode? code, out string? error)
    {
        var parsed = Parse(path, out error);
        code = parsed is not null ? null
            : error!.StartsWith("invalid digest", StringComparison.Ordinal) ? RegistryErrorCode.DigestInvalid
            : error.StartsWith("invalid reference", StringComparison.Ordinal) ? RegistryErrorCode.ManifestInvalid
            : error.StartsWith("invalid upload id", StringComparison.Ordinal) ? RegistryErrorCode.BlobUploadInvalid
            : error.StartsWith("invalid", StringComparison.Ordinal) ? RegistryErrorCode.NameInvalid
            : RegistryErrorCode.Unsupported;
        return parsed;
    }

    /// <summary>
    /// Whether the request target as the client sent it, before the server removed dot segments,
    /// has a <c>.</c> or <c>..</c> segment, plain or percent-encoded (<c>%2e</c>, <c>%2E</c>): the
    /// path the parser sees would then name another repository than the one the client wrote.
    /// </summary>
    public static bool HasDotSegment(string rawTarget)
    {
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? rawTarget : rawTarget[..query];
        foreach (var segment in path.Split('/'))
        {
            var plain = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (plain is "." or "..")
            {
                return true;
            }
        }

        return false;
    }

    private static RegistryPath? Parse(string path, out string? error)
    {
        error = null;
        if (path.Length == 0)
        {
            return new RegistryPath(RegistryRoute.Base, null, null, null, null);
        }

        if (path == "_catalog")
        {
            return new RegistryPath(RegistryRoute.Catalog, null, null, null, null);
        }

        Match match;
        if ((match = TagsPattern().Match(path)).Success)
        {
            return Named(match, RegistryRoute.Tags, null, null, null, ref error);
        }

        if ((match = UploadPattern().Match(path)).Success)
        {
            var id = match.Groups["id"].Value;
            if (id.Length > 0 && !UploadIdPattern().IsMatch(id))
            {
                error = $"invalid upload id '{id}'";
                return null;
            }

            return Named(match, RegistryRoute.Upload, null, null, id, ref error);
        }

        if ((match = ManifestPattern().Match(path)).Success)
        {
            var reference = match.Groups["ref"].Value;
            if (Protocol(reference) is { } digest)
            {
                return Named(match, RegistryRoute.Manifest, reference, digest, null, ref error);
            }

            if (!ImageReference.IsValidTag(reference))
            {
                error = $"invalid reference '{reference}'";
                return null;
            }

            return Named(match, RegistryRoute.Manifest, reference, null, null, ref error);
        }

        if ((match = BlobPattern().Match(path)).Success || (match = ReferrersPattern().Match(path)).Success)
        {
            var route = match.Groups["kind"].Value == "blobs" ? RegistryRoute.Blob : RegistryRoute.Referrers;
            if (!Registry.Protocol.Digest.TryParse(match.Groups["digest"].Value, out var digest))
            {
                error = $"invalid digest '{match.Groups["digest"].Value}'";
                return null;
            }

            return Named(match, route, digest.ToString(), digest, null, ref error);
        }

        error = "not a registry API path";
        return null;
    }

    private static Digest? Protocol(string reference) =>
        reference.Contains(':', StringComparison.Ordinal) && Registry.Protocol.Digest.TryParse(reference, out var digest) ? digest : null;

    private static RegistryPath? Named(Match match, RegistryRoute route, string? reference, Digest? digest, string? uploadId, ref string? error)
    {
        var name = match.Groups["name"].Value;
        if (!ImageReference.IsValidRepository(name))
        {
            error = $"invalid repository name '{name}'";
            return null;
        }

        return new RegistryPath(route, name, reference, digest, uploadId);
    }

    [GeneratedRegex("^(?<name>.+)/tags/list$", RegexOptions.CultureInvariant)]
    private static partial Regex TagsPattern();

    [GeneratedRegex("^(?<name>.+)/blobs/uploads/(?<id>[^/]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex UploadPattern();

    [GeneratedRegex("^(?<name>.+)/manifests/(?<ref>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ManifestPattern();

    [GeneratedRegex("^(?<name>.+)/(?<kind>blobs)/(?<digest>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BlobPattern();

    [GeneratedRegex("^(?<name>.+)/(?<kind>referrers)/(?<digest>[^/]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ReferrersPattern();

    [GeneratedRegex("^[A-Za-z0-9_.=-]{1,256}$", RegexOptions.CultureInvariant)]
    private static partial Regex UploadIdPattern();
}
