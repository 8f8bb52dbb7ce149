using System.Text.Json;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Client;

/// <summary>The tags of a repository, every page of them (<c>Link</c> pagination), never trusting a next page on another host.</summary>
public sealed class TagLister
{
    private const int MaxPages = 10_000;
    private const int MaxPageBytes = 16 * 1024 * 1024;
    private readonly RegistryTransport _transport;

    internal TagLister(RegistryTransport transport) => _transport = transport;

    public async Task<IReadOnlyList<string>> ListAsync(string repository, CancellationToken cancellationToken)
    {
        var operation = $"list tags of {_transport.Endpoint.Host}/{repository}";
        var tags = new List<string>();
        var path = $"{repository}/tags/list?n=1000";
        for (var page = 0; page < MaxPages && path is not null; page++)
        {
            using var timeout = RegistryTransport.Timeout(cancellationToken);
            using var request = RegistryTransport.Request(HttpMethod.Get, path);
            using var response = await _transport.SendAsync(request, RegistryScopes.Pull(repository), operation, timeout.Token).ConfigureAwait(false);
            await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
            var body = await RegistryTransport.ReadCappedAsync(response.Content, MaxPageBytes, timeout.Token).ConfigureAwait(false);
            using (var document = JsonDocument.Parse(body))
            {
                if (document.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    tags.AddRange(list.EnumerateArray().Select(t => t.GetString()).OfType<string>());
                }
            }

            path = NextPage(response, "list tags");
        }

        return tags;
    }

    /// <summary>The next page a <c>Link: &lt;...&gt;; rel="next"</c> header names, below <c>/v2/</c>; null when there is none.</summary>
    internal static string? NextPage(HttpResponseMessage response, string operation)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            if (!link.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase) && !link.Contains("rel=next", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open < 0 || close <= open)
            {
                continue;
            }

            // Relative to where the page came from; it must stay below that registry's /v2/.
            var requested = response.RequestMessage!.RequestUri!;
            var target = new Uri(requested, link[(open + 1)..close]);
            var root = new Uri(requested, "/v2/");
            if (!target.AbsoluteUri.StartsWith(root.AbsoluteUri, StringComparison.Ordinal))
            {
                throw new RegistryException($"{operation}: the registry's next page ({target.Authority}{target.AbsolutePath}) is outside {root}");
            }

            return target.AbsoluteUri[root.AbsoluteUri.Length..];
        }

        return null;
    }
}
