using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SyncGateway.Registry.Errors;

/// <summary>An answer from a registry that is not what the operation needed.</summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string message, HttpStatusCode? status = null, string? code = null, bool retryable = false, TimeSpan? retryAfter = null, Exception? inner = null, bool denied = false)
        : base(message, inner)
    {
        Status = status;
        Code = code;
        Retryable = retryable;
        RetryAfter = retryAfter;
        Denied = denied || status == HttpStatusCode.Forbidden || code == RegistryErrorCode.Denied.Code;
    }

    /// <summary>
    /// The registry knows who asks and refuses the operation (403, <c>DENIED</c>, or a 401 whose
    /// challenge says <c>insufficient_scope</c>): other credentials, not a retry, would help.
    /// </summary>
    public bool Denied { get; }

    public HttpStatusCode? Status { get; }

    /// <summary>The first OCI error code of the body, when there was one.</summary>
    public string? Code { get; }

    /// <summary>Whether the same unit of work may succeed if repeated.</summary>
    public bool Retryable { get; }

    /// <summary>How long the registry asked to wait (Retry-After) before asking again.</summary>
    public TimeSpan? RetryAfter { get; }

    public bool IsNotFound => Status == HttpStatusCode.NotFound;

    /// <summary>Reads an error answer into an exception: OCI error body, status, Retry-After.</summary>
    public static async Task<RegistryException> FromResponseAsync(HttpResponseMessage response, string operation, TimeProvider time, CancellationToken cancellationToken)
    {
        string? code = null;
        string? detail = null;
        if (response.Content.Headers.ContentLength is null or < 64 * 1024)
        {
            try
            {
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                (code, detail) = ReadErrorBody(body);
            }
            catch (HttpRequestException)
            {
                // the body is only a detail; the status says enough
            }
        }

        var status = response.StatusCode;
        var known = RegistryErrorCode.Find(code);
        var retryable = RegistryErrorCode.IsRetryableStatus(status) || (known?.Retryable ?? false);
        var retryAfter = ReadRetryAfter(response.Headers.RetryAfter, time);
        var message = $"{operation}: {(int)status} {status}" + (code is null ? string.Empty : $" {code}") + (string.IsNullOrEmpty(detail) ? string.Empty : $" ({detail})");
        var insufficientScope = status == HttpStatusCode.Unauthorized
            && response.Headers.WwwAuthenticate.Any(h => h.Parameter?.Contains("insufficient_scope", StringComparison.OrdinalIgnoreCase) == true);
        return new RegistryException(message, status, code, retryable && !insufficientScope, retryAfter, denied: insufficientScope);
    }

    internal static TimeSpan? ReadRetryAfter(RetryConditionHeaderValue? header, TimeProvider time)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static (string? Code, string? Message) ReadErrorBody(byte[] body)
    {
        if (body.Length == 0)
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array
                && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                var code = first.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var message = first.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                return (code, message);
            }
        }
        catch (JsonException)
        {
            // not an OCI error body
        }

        return (null, null);
    }
}
