using System.CommandLine;

namespace SyncGateway.Gateway.Cli;

/// <summary>
/// <c>syncgateway probe URL</c>: exit 0 when the URL answers 2xx within five seconds, else 1. The
/// container's health check, in images that have no curl.
/// </summary>
internal static class ProbeCommand
{
    private static readonly Argument<string> Url = new("url") { Description = "the address to ask, e.g. http://127.0.0.1:5000/healthz" };

    public static Command Create(CliConsole console)
    {
        var command = new Command("probe", "Ask a health endpoint; exit 0 when it answers 2xx") { Url };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                await console.Error.WriteLineAsync($"error: '{parse.GetValue(Url)}' is not an http(s) address").ConfigureAwait(false);
                return ExitCodes.BadConfiguration;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
                await console.Out.WriteLineAsync($"{(int)response.StatusCode} {response.StatusCode}").ConfigureAwait(false);
                return response.IsSuccessStatusCode ? ExitCodes.Success : ExitCodes.SomeFailed;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await console.Error.WriteLineAsync($"no answer: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.SomeFailed;
            }
        });
        return command;
    }
}
