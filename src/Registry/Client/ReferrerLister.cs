using System.Net;
using SyncGateway.Registry.Errors;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Registry.Client;

/// <summary>
/// The referrers API (<c>GET /v2/NAME/referrers/DIGEST</c>, OCI distribution 1.1): the manifests
/// whose <c>subject</c> is a digest, as the descriptors of an index, every page of them.
/// </summary>
public sealed class ReferrerLister
{
    private const int MaxPages = 100;
    private readonly RegistryTransport _transport;

    internal ReferrerLister(RegistryTransport transport) => _transport = transport;

    /// <summary>
    /// The referrers of <paramref name="subject"/>; null when the registry has no referrers API
    /// (it answers 404, 405 or 400 for the route, as distribution 2.x does), which is when the
    /// tag-schema fallback applies.
    /// </summary>
    public async Task<IReadOnlyList<Descriptor>?> ListAsync(string repository, Digest subject, CancellationToken cancellationToken)
    {
        var operation = $"list referrers of {_transport.Describe(repository, subject.ToString())}";
        var referrers = new List<Descriptor>();
        var path = $"{repository}/referrers/{subject}";
        for (var page = 0; page < MaxPages && path is not null; page++)
        {
            using var timeout = RegistryTransport.Timeout(cancellationToken);
            using var request = RegistryTransport.Request(HttpMethod.Get, path, accept: MediaTypes.OciIndex);
            using var response = await _transport.SendAsync(request, RegistryScopes.Pull(repository), operation, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadRequest)
            {
                return page == 0 ? null : referrers;
            }

            await _transport.EnsureSuccessAsync(response, operation, timeout.Token).ConfigureAwait(false);
            if (response.Content.Headers.ContentType?.MediaType is { } type && type != MediaTypes.OciIndex && type != "application/json")
            {
                return null;
            }

            var bytes = await RegistryTransport.ReadCappedAsync(response.Content, Manifest.MaxSize, timeout.Token).ConfigureAwait(false);
            try
            {
                referrers.AddRange(Manifest.Parse(bytes, MediaTypes.OciIndex).Children);
            }
            catch (InvalidManifestException ex)
            {
                throw new RegistryException($"{operation}: the answer is not an index ({ex.Message})");
            }

            path = TagLister.NextPage(response, operation);
        }

        return referrers;
    }
}
