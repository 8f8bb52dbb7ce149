using System.Globalization;
using Microsoft.AspNetCore.Http;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Passes an upstream's error answer on as a clean, complete answer. Registries do not always
/// keep their own <c>Content-Length</c> on errors: distribution answers an unsatisfiable
/// <c>Range</c> with 416, the whole blob's length and a 33-byte body, so streaming it through would
/// leave the client's connection to be reset mid-answer. An error body is small: it is read whole
/// (up to <see cref="MaxBody"/>), and sent with the length it really has.
/// </summary>
internal static class ErrorAnswer
{
    public const int MaxBody = 64 * 1024;

    public static async Task WriteAsync(HttpContext context, HttpResponseMessage answer, CancellationToken cancellationToken)
    {
        if (answer.StatusCode == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The range the client asked for lies outside the content; Content-Range (bytes */size) says how large it is.
            context.Response.Headers.ContentType = default;
            var range = context.Request.Headers.Range.ToString();
            var whole = answer.Content.Headers.ContentRange?.Length;
            var detail = whole is { } size
                ? string.Create(CultureInfo.InvariantCulture, $"the range '{range}' is not within the {size} bytes of the content")
                : $"the range '{range}' cannot be satisfied";
            await OciError.WriteAsync(context, RegistryErrorCode.RangeInvalid, detail, System.Net.HttpStatusCode.RequestedRangeNotSatisfiable).ConfigureAwait(false);
            return;
        }

        var buffer = new byte[MaxBody];
        var total = 0;
        try
        {
            await using var body = await answer.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The upstream ended its body early: what arrived is the answer.
        }

        context.Response.ContentLength = total;
        await context.Response.Body.WriteAsync(buffer.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
    }
}
