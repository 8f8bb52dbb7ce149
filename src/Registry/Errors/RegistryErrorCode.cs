using System.Collections.Frozen;
using System.Net;

namespace SyncGateway.Registry.Errors;

/// <summary>
/// The OCI distribution error codes, the HTTP status each comes with and whether repeating the
/// same work can help. One table, so the client, the replicator's retries and the gateway's error
/// bodies agree.
/// </summary>
public sealed record RegistryErrorCode(string Code, HttpStatusCode Status, bool Retryable, string Description)
{
    public static readonly RegistryErrorCode BlobUnknown = new("BLOB_UNKNOWN", HttpStatusCode.NotFound, false, "blob unknown to registry");
    public static readonly RegistryErrorCode BlobUploadInvalid = new("BLOB_UPLOAD_INVALID", HttpStatusCode.BadRequest, false, "blob upload invalid");
    public static readonly RegistryErrorCode BlobUploadUnknown = new("BLOB_UPLOAD_UNKNOWN", HttpStatusCode.NotFound, true, "blob upload unknown to registry");
    public static readonly RegistryErrorCode DigestInvalid = new("DIGEST_INVALID", HttpStatusCode.BadRequest, true, "provided digest did not match uploaded content");
    public static readonly RegistryErrorCode ManifestBlobUnknown = new("MANIFEST_BLOB_UNKNOWN", HttpStatusCode.NotFound, false, "manifest references a manifest or blob unknown to registry");
    public static readonly RegistryErrorCode ManifestInvalid = new("MANIFEST_INVALID", HttpStatusCode.BadRequest, false, "manifest invalid");
    public static readonly RegistryErrorCode ManifestUnknown = new("MANIFEST_UNKNOWN", HttpStatusCode.NotFound, false, "manifest unknown to registry");
    public static readonly RegistryErrorCode NameInvalid = new("NAME_INVALID", HttpStatusCode.BadRequest, false, "invalid repository name");
    public static readonly RegistryErrorCode NameUnknown = new("NAME_UNKNOWN", HttpStatusCode.NotFound, false, "repository name not known to registry");
    public static readonly RegistryErrorCode PaginationNumberInvalid = new("PAGINATION_NUMBER_INVALID", HttpStatusCode.BadRequest, false, "invalid number of results requested");
    public static readonly RegistryErrorCode RangeInvalid = new("RANGE_INVALID", HttpStatusCode.RequestedRangeNotSatisfiable, false, "invalid content range");
    public static readonly RegistryErrorCode SizeInvalid = new("SIZE_INVALID", HttpStatusCode.BadRequest, false, "provided length did not match content length");
    public static readonly RegistryErrorCode Unauthorized = new("UNAUTHORIZED", HttpStatusCode.Unauthorized, false, "authentication required");
    public static readonly RegistryErrorCode Denied = new("DENIED", HttpStatusCode.Forbidden, false, "requested access to the resource is denied");
    public static readonly RegistryErrorCode Unsupported = new("UNSUPPORTED", HttpStatusCode.MethodNotAllowed, false, "the operation is unsupported");
    public static readonly RegistryErrorCode TooManyRequests = new("TOOMANYREQUESTS", HttpStatusCode.TooManyRequests, true, "too many requests");
    public static readonly RegistryErrorCode Unavailable = new("UNAVAILABLE", HttpStatusCode.ServiceUnavailable, true, "service unavailable");

    private static readonly FrozenDictionary<string, RegistryErrorCode> ByCode = new[]
    {
        BlobUnknown, BlobUploadInvalid, BlobUploadUnknown, DigestInvalid, ManifestBlobUnknown, ManifestInvalid,
        ManifestUnknown, NameInvalid, NameUnknown, PaginationNumberInvalid, RangeInvalid, SizeInvalid, Unauthorized, Denied, Unsupported, TooManyRequests, Unavailable,
    }.ToFrozenDictionary(code => code.Code, StringComparer.Ordinal);

    public static RegistryErrorCode? Find(string? code) =>
        code is not null && ByCode.TryGetValue(code, out var found) ? found : null;

    /// <summary>Whether an answer with this HTTP status is worth the same request again later.</summary>
    public static bool IsRetryableStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
}
