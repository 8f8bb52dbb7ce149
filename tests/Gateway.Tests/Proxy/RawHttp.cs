using System.Net.Sockets;
using System.Text;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// One HTTP/1.1 request written byte for byte on a socket: <see cref="HttpClient"/> removes dot
/// segments from a URI before sending it, so a request target with <c>..</c> needs a raw socket.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <c>METHOD target</c> with an empty body and returns the status code and the whole answer.</summary>
    public static async Task<(int Status, string Answer)> SendAsync(string host, string method, string target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var colon = host.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(host[..colon], int.Parse(host[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
        await using var stream = client.GetStream();
        var request = $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(timeout.Token);
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, answer);
    }
}
