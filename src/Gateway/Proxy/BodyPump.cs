using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Metrics;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// Sends a large upstream answer body (a blob) to the client in chunks of up to
/// <see cref="Chunk"/>, read straight into the response's own buffer and sent with one write
/// each. YARP's copier reads 64 KiB at a time (a zero-byte read first, which waits for the
/// upstream), copies it into the response pipe and waits for it to be sent: per GiB, 16,000
/// rounds of wake-up, read, copy and write, which cost the gateway three times what the bytes
/// themselves cost the kernel. Here a chunk fills while the client is being sent the last one,
/// so a GiB takes about a thousand writes and as few wake-ups as the upstream's pace allows.
/// </summary>
/// <remarks>
/// Bytes are not held back for long when the upstream is slow: a chunk whose first bytes have
/// waited <see cref="HoldLimit"/> is sent, full or not, when the next read ends. An upstream that sends nothing for
/// <see cref="IdleLimit"/> (or a client that takes nothing for as long) ends the answer, as
/// YARP's activity timeout does. The bytes pass as they are: the client checks the digest of
/// what it pulls, as it does when the registry answers it directly. Each answer in flight holds
/// one <see cref="Chunk"/> of the response pipe (from the shared array pool) while it streams.
/// </remarks>
internal static class BodyPump
{
    /// <summary>The smallest body worth taking from YARP's copier.</summary>
    public const long MinLength = 1L << 20;

    /// <summary>The most bytes read from the upstream before they are sent on.</summary>
    public const int Chunk = 1 << 20;

    public static readonly TimeSpan HoldLimit = TimeSpan.FromMilliseconds(50);

    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Sends <paramref name="body"/> (<paramref name="length"/> bytes; its status and headers are
    /// set on the response already) and disposes it. An upstream that fails before its first byte
    /// gets the client a 502 with an OCI error body; one that fails later, a broken connection
    /// (never a short answer that looks whole). A client that goes away is let go.
    /// </summary>
    public static async Task CopyAsync(HttpContext context, Backend backend, HttpContent body, long length)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var writer = context.Response.BodyWriter;
        long sent = 0;
        try
        {
            await using var input = await body.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);

            // Asking for the response's buffer starts the response: the upstream shows first that it has a body to send.
            idle.CancelAfter(IdleLimit);
            await input.ReadAsync(Memory<byte>.Empty, idle.Token).ConfigureAwait(false);
            while (sent < length)
            {
                var space = (int)Math.Min(Chunk, length - sent);
                var memory = writer.GetMemory(space)[..space];
                var filled = 0;
                var first = 0L;
                do
                {
                    idle.CancelAfter(IdleLimit);
                    var read = await input.ReadAsync(memory[filled..], idle.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException($"the body ended after {sent + filled} of {length} bytes");
                    }

                    first = filled == 0 ? Stopwatch.GetTimestamp() : first;
                    filled += read;
                }
                while (filled < space && Stopwatch.GetElapsedTime(first) < HoldLimit);

                writer.Advance(filled);
                sent += filled;
                idle.CancelAfter(IdleLimit);
                var flush = await writer.FlushAsync(idle.Token).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The connection is closing, or the client took nothing for the idle limit.
                    context.Abort();
                    return;
                }
            }
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: there is no one to answer.
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            context.Response.Clear();
            context.Response.Headers[BackendNames.Header] = backend.Name();
            await OciError.WriteAsync(context, RegistryErrorCode.Unavailable, $"the {backend.Name()} registry failed before sending the content ({ex.Message})", HttpStatusCode.BadGateway).ConfigureAwait(false);
        }
        finally
        {
            body.Dispose();
        }
    }
}
