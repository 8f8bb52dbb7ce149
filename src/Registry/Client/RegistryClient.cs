using SyncGateway.Registry.Transport;

namespace SyncGateway.Registry.Client;

/// <summary>
/// The distribution API of one registry endpoint, as a few focused clients over one handler
/// pipeline (authentication, scheme, rate-limit headers): manifests, tags, blob reads and blob
/// uploads. The gateway forwards requests through the same pipeline.
/// </summary>
public sealed class RegistryClient
{
    private readonly RegistryPipeline _pipeline;
    private int _connected;

    internal RegistryClient(RegistryEndpoint endpoint, RegistryPipeline pipeline, TimeProvider time)
    {
        _pipeline = pipeline;
        var transport = new RegistryTransport(endpoint, pipeline, time);
        Host = endpoint.Host;
        Manifests = new ManifestStore(transport);
        Tags = new TagLister(transport);
        Catalog = new CatalogLister(transport);
        Blobs = new BlobReader(transport);
        Uploads = new BlobUploader(transport);
        Referrers = new ReferrerLister(transport);
    }

    /// <summary>The registry's host as images name it.</summary>
    public string Host { get; }

    public ManifestStore Manifests { get; }

    public TagLister Tags { get; }

    public CatalogLister Catalog { get; }

    public BlobReader Blobs { get; }

    public BlobUploader Uploads { get; }

    public ReferrerLister Referrers { get; }

    /// <summary>
    /// The registry's API root, <c>https://host/v2/</c>; for an <c>insecure</c> registry the pipeline
    /// sends to whichever scheme it answers on.
    /// </summary>
    public Uri BaseUri => _pipeline.BaseUri;

    /// <summary>
    /// Sends <c>GET /v2/</c> ahead of the work, once per client: the first requests then find a
    /// connection open, an <c>insecure</c> registry's scheme settled and its challenge known,
    /// instead of each waiting for those round trips. Best effort: whatever fails here fails again,
    /// named, on the requests that need the registry.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _connected, 1) == 1)
        {
            return;
        }

        try
        {
            using var timeout = RegistryTransport.Timeout(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, BaseUri);
            request.Options.Set(RegistryRequest.ConnectKey, true);
            using var response = await _pipeline.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Best effort, as said: the work's own requests report what is wrong.
        }
    }

    /// <summary>
    /// The pipeline as a plain invoker, for forwarding requests as they are. A request gets the
    /// registry's service credentials only when marked with <see cref="RegistryRequest.UseServiceCredentials"/>.
    /// </summary>
    public HttpMessageInvoker Forwarding => _pipeline.Invoker;
}
