using Microsoft.AspNetCore.Http;

namespace SyncGateway.Gateway.Proxy;

/// <summary>
/// The client's side of a blob fill: bytes read from the source for the mirror's upload are
/// written to the client too, each byte once, however often the upload reads the source again
/// (a resumed chunk). A client that goes away is let go; the fill carries on without it.
/// </summary>
internal sealed class ClientTee(HttpContext context)
{
    /// <summary>How many bytes of the content the client has been sent.</summary>
    public long Sent { get; private set; }

    /// <summary>Whether the client went away (or could no longer be written to).</summary>
    public bool Gone { get; private set; }

    /// <summary>Passes on the bytes of <paramref name="chunk"/> the client has not had yet; <paramref name="at"/> is the chunk's offset in the content.</summary>
    public async ValueTask WriteAsync(long at, ReadOnlyMemory<byte> chunk)
    {
        var skip = Sent - at;
        if (Gone || skip >= chunk.Length || skip < 0)
        {
            return;
        }

        try
        {
            await context.Response.Body.WriteAsync(chunk[(int)skip..], context.RequestAborted).ConfigureAwait(false);
            Sent += chunk.Length - skip;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Gone = true;
        }
    }
}
