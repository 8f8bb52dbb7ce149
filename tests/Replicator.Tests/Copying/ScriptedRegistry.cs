using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;

namespace SyncGateway.Replicator.Tests.Copying;

/// <summary>
/// The bottom of a registry's handler pipeline, answering from a script: each route a test expects
/// gets its answer, anything else gets a 500 that fails the copy, and every request is logged.
/// </summary>
internal sealed class ScriptedRegistry : HttpMessageHandler
{
    private readonly List<(string Method, Regex Path, Func<HttpRequestMessage, HttpResponseMessage> Answer)> _routes = [];

    /// <summary>"METHOD /path?query" of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Awaited for every request once it is logged, before its body is read and it is answered: a far link, or a gate.</summary>
    public Func<HttpRequestMessage, Task>? Hold { get; set; }

    public ScriptedRegistry On(string method, string pathPattern, Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        _routes.Add((method, new Regex("^" + pathPattern + "$", RegexOptions.CultureInvariant), answer));
        return this;
    }

    public ScriptedRegistry On(string method, string pathPattern, HttpStatusCode status, Action<HttpResponseMessage>? shape = null) =>
        On(method, pathPattern, _ =>
        {
            var response = new HttpResponseMessage(status) { Content = new ByteArrayContent([]) };
            shape?.Invoke(response);
            return response;
        });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        Requests.Enqueue($"{request.Method} {request.RequestUri.PathAndQuery}");
        if (Hold is { } hold)
        {
            await hold(request);
        }

        if (request.Content is not null)
        {
            // A registry reads the body; so does this, so the verifying stream gets to check it.
            await request.Content.CopyToAsync(Stream.Null, cancellationToken);
        }

        foreach (var (method, pattern, answer) in _routes)
        {
            if (method == request.Method.Method && pattern.IsMatch(path))
            {
                var response = answer(request);
                response.RequestMessage = request;
                return response;
            }
        }

        return new HttpResponseMessage(HttpStatusCode.InternalServerError) { RequestMessage = request, Content = new StringContent($"not scripted: {request.Method} {path}") };
    }
}
