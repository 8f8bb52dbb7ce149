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
    /// The pipeline as a plain invoker, for forwarding requests as they are. A request gets the
    /// registry's service credentials only when marked with <see cref="RegistryRequest.UseServiceCredentials"/>.
    /// </summary>
    public HttpMessageInvoker Forwarding => _pipeline.Invoker;
}
