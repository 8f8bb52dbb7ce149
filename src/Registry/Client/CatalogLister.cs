using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SyncGateway.Registry.Errors;

namespace SyncGateway.Registry.Client;

/// <summary>
/// The repositories of a registry (<c>/v2/_catalog</c>), page by page as they come, following the
/// <c>Link</c> header (or, where a registry leaves it out of a full page, <c>last</c>). A registry
/// that caps the page size (distribution answers 400 PAGINATION_NUMBER_INVALID above its
/// <c>catalog.maxentries</c>; Harbor and ACR cap pages too) is asked again with smaller pages.
/// </summary>
public sealed class CatalogLister
{
    // Page sizes to try, largest first: distribution allows 1000 by default; Harbor, ACR and
    // registries configured with a smaller catalog.maxentries refuse above their cap.
    private static readonly int[] PageSizes = [1000, 500, 100, 50, 20, 10];
    private const int MaxPages = 1_000_000;
    private const int MaxPageBytes = 16 * 1024 * 1024;
    private readonly RegistryTransport _transport;

    internal CatalogLister(RegistryTransport transport) => _transport = transport;

    /// <summary>Every repository, in the registry's order (lexical for distribution), streamed page by page.</summary>
    public async IAsyncEnumerable<string> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var operation = $"list the repositories of {_transport.Endpoint.Host} (catalog)";
        var size = 0;
        var pageSize = PageSizes[size];
        string? path = $"_catalog?n={pageSize}";
        string? last = null;
        for (var page = 0; page < MaxPages && path is not null; page++)
        {
            List<string> repositories;
            string? next;
            using (var timeout = RegistryTransport.Timeout(cancellationToken))
            {
                using var request = RegistryTransport.Request(HttpMethod.Get, path);
                using var response = await _transport.SendAsync(request, RegistryScopes.Catalog, operation, timeout.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.BadRequest && size + 1 < PageSizes.Length)
                {
                    var refused = await RegistryException.FromResponseAsync(response, operation, TimeProvider.System, timeout.Token).ConfigureAwait(false);
                    if (refused.Code == RegistryErrorCode.PaginationNumberInvalid.Code)
                    {
                        // The registry caps its pages: ask for smaller ones from the same place.
                        pageSize = PageSizes[++size];
                        path = $"_catalog?n={pageSize}" + (last is null ? string.Empty : $"&last={Uri.EscapeDataString(last)}");
                        page--;
                        continue;
                    }

                    throw refused;
                }

                await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
                repositories = await ReadPageAsync(response, timeout.Token).ConfigureAwait(false);
                next = TagLister.NextPage(response, "list the catalog");
            }

            // A registry that ignores 'last' would hand out the same page for ever: stop, saying so.
            if (repositories.Count > 0 && last is not null && string.CompareOrdinal(repositories[^1], last) <= 0)
            {
                throw new RegistryException($"{operation}: the catalog does not advance past '{last}' (the registry ignores 'last' and sends no next Link)");
            }

            foreach (var repository in repositories)
            {
                yield return repository;
            }

            // A full page without a Link may still have a next one: distribution sends Link, others not always.
            last = repositories.Count > 0 ? repositories[^1] : last;
            path = next ?? (repositories.Count >= pageSize ? $"_catalog?n={pageSize}&last={Uri.EscapeDataString(last!)}" : null);
        }
    }

    private static async Task<List<string>> ReadPageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await RegistryTransport.ReadCappedAsync(response.Content, MaxPageBytes, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("repositories", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(r => r.GetString()).OfType<string>().ToList()
            : [];
    }
}
