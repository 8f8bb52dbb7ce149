using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using SyncGateway.Registry.Transport;
using SyncGateway.Registry.Client;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Records;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Telemetry;

namespace SyncGateway.Replicator.Tests.Copying;

/// <summary>
/// The copier's decisions at the HTTP level, against scripted registries: which requests an image
/// costs when it is in sync, when its blobs are there, mountable or missing, and what the records
/// say afterwards, also when a registry contradicts them or ignores mounts.
/// </summary>
public sealed class CopyDecisionTests : IDisposable
{
    private const string Oci = "application/vnd.oci.image.manifest.v1+json";
    private static readonly byte[] Layer = Encoding.UTF8.GetBytes("layer bytes of the test image");
    private static readonly byte[] Config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}""");
    private static readonly Digest LayerDigest = Digest.Compute(Layer);
    private static readonly Digest ConfigDigest = Digest.Compute(Config);
    private static readonly byte[] ManifestBytes = Encoding.UTF8.GetBytes(
        $$"""{"schemaVersion":2,"mediaType":"{{Oci}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{ConfigDigest}}","size":{{Config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{LayerDigest}}","size":{{Layer.Length}}}]}""");

    private static readonly Digest ManifestDigest = Digest.Compute(ManifestBytes);
    // These tests are about the image's own requests; what its referrers cost has a test of its own.
    private static readonly SyncTask Task = new("rules[0]", ImageReference.Parse("src.test/lib/app:1"), ImageReference.Parse("dst.test/m/app:1")) { Referrers = false };

    private readonly string _folder = Directory.CreateTempSubdirectory("syncgateway-decisions-").FullName;
    private readonly RecordStore _records;
    private readonly ScriptedRegistry _source = new();
    private readonly ScriptedRegistry _destination = new();
    private readonly RegistryClientPool _registries;
    private readonly ReplicationEngine _engine;

    public CopyDecisionTests()
    {
        _records = RecordStore.Open(Path.Combine(_folder, "r.db"), TimeProvider.System);
        _registries = new RegistryClientPool(
            [new RegistryEndpoint { Host = "src.test" }, new RegistryEndpoint { Host = "dst.test" }],
            TimeProvider.System,
            endpoint => endpoint.Host == "src.test" ? _source : _destination);
        _engine = new ReplicationEngine(new SyncOptions { Concurrency = 2, Retries = 0 }, _records, TimeProvider.System, NullLoggerFactory.Instance);
        _source
            .On("GET", "/v2/lib/app/manifests/1", _ => Answer(HttpStatusCode.OK, ManifestBytes, Oci))
            .On("GET", $"/v2/lib/app/blobs/{LayerDigest}", _ => Answer(HttpStatusCode.OK, Layer, "application/octet-stream"))
            .On("GET", $"/v2/lib/app/blobs/{ConfigDigest}", _ => Answer(HttpStatusCode.OK, Config, "application/octet-stream"));
        _destination.On("PUT", "/v2/m/app/manifests/1", HttpStatusCode.Created, r => r.Headers.Add("Docker-Content-Digest", ManifestDigest.ToString()));
    }

    public void Dispose()
    {
        _engine.Dispose();
        _registries.Dispose();
        _records.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task AnImageInSync_CostsTwoHeads_AndNoManifestGet()
    {
        _destination.On("HEAD", "/v2/m/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("HEAD", "/v2/lib/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));

        var result = await CopyAsync();

        Assert.Equal(SyncStatus.AlreadyInSync, result.Status);
        Assert.Equal(["HEAD /v2/lib/app/manifests/1"], _source.Requests);
        Assert.Equal(["HEAD /v2/m/app/manifests/1"], _destination.Requests);
    }

    [Fact]
    public async Task AnImageTheRecordsSayWasReplicated_IsAskedOfBothRegistriesAtOnce()
    {
        await _records.RecordTagAsync(Task.Destination, ManifestDigest, Task.Source, default);
        _destination.On("HEAD", "/v2/m/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("HEAD", "/v2/lib/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));

        // The destination answers only once the source has been asked (or after five seconds).
        var sourceAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var askedInTurn = false;
        _source.Hold = _ =>
        {
            sourceAsked.TrySetResult();
            return System.Threading.Tasks.Task.CompletedTask;
        };
        _destination.Hold = async _ =>
        {
            try
            {
                await sourceAsked.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                askedInTurn = true;
            }
        };

        var result = await CopyAsync();

        Assert.Equal(SyncStatus.AlreadyInSync, result.Status);
        Assert.False(askedInTurn, "the source HEAD waited for the destination's answer");
        Assert.Equal(["HEAD /v2/lib/app/manifests/1"], _source.Requests);
        Assert.Equal(["HEAD /v2/m/app/manifests/1"], _destination.Requests);
    }

    [Fact]
    public async Task AnImageTheRecordsDoNotKnow_MissingAtTheDestination_CostsOneManifestGet_AndNoSourceHead()
    {
        MissingTag();
        _destination.On("POST", "/v2/m/app/blobs/uploads/", HttpStatusCode.Created);

        var result = await CopyAsync();

        Assert.Equal(SyncStatus.Synced, result.Status);
        Assert.Equal(["GET /v2/lib/app/manifests/1"], _source.Requests);
    }

    [Fact]
    public async Task AnImageInSync_WithReferrers_CostsTheReferrersLookupOnce_ThenFourHeadsOfTheTagSchema()
    {
        _destination.On("HEAD", "/v2/m/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("HEAD", "/v2/lib/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("GET", "/v2/lib/app/referrers/.*", HttpStatusCode.NotFound);
        _source.On("HEAD", "/v2/lib/app/manifests/sha256-.*", HttpStatusCode.NotFound);
        var fallback = $"sha256-{ManifestDigest.Hex}";

        var first = await _engine.CopyAsync(Task with { Referrers = true }, _registries, new TransferStats(), CancellationToken.None);
        var second = await _engine.CopyAsync(Task with { Referrers = true }, _registries, new TransferStats(), CancellationToken.None);

        Assert.Equal(SyncStatus.AlreadyInSync, first.Status);
        Assert.Equal(SyncStatus.AlreadyInSync, second.Status);
        string[] lookups = [$"HEAD /v2/lib/app/manifests/{fallback}", $"HEAD /v2/lib/app/manifests/{fallback}.sig", $"HEAD /v2/lib/app/manifests/{fallback}.att", $"HEAD /v2/lib/app/manifests/{fallback}.sbom"];
        Assert.Equal(
            ["HEAD /v2/lib/app/manifests/1", $"GET /v2/lib/app/referrers/{ManifestDigest}", .. lookups, "HEAD /v2/lib/app/manifests/1", .. lookups],
            _source.Requests);
        Assert.Equal(["HEAD /v2/m/app/manifests/1", "HEAD /v2/m/app/manifests/1"], _destination.Requests);
    }

    [Fact]
    public async Task AnImageInSync_WhoseRepositoryListedNoReferrerTags_CostsNoReferrerLookup_AndOnlyTheListedOnesAreAskedFor()
    {
        _destination.On("HEAD", "/v2/m/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("HEAD", "/v2/lib/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("GET", "/v2/lib/app/referrers/.*", HttpStatusCode.NotFound);
        _source.On("HEAD", "/v2/lib/app/manifests/sha256-.*", HttpStatusCode.NotFound);
        var fallback = $"sha256-{ManifestDigest.Hex}";

        // What the planner passes on after listing the repository's tags: none, then one cosign signature.
        var none = await _engine.CopyAsync(Task with { Referrers = true, SourceReferrerTags = new HashSet<string>() }, _registries, new TransferStats(), CancellationToken.None);
        var signed = await _engine.CopyAsync(Task with { Referrers = true, SourceReferrerTags = new HashSet<string> { $"{fallback}.sig" } }, _registries, new TransferStats(), CancellationToken.None);

        Assert.Equal(SyncStatus.AlreadyInSync, none.Status);
        Assert.Equal(SyncStatus.AlreadyInSync, signed.Status);
        Assert.Equal(
            ["HEAD /v2/lib/app/manifests/1", $"GET /v2/lib/app/referrers/{ManifestDigest}", "HEAD /v2/lib/app/manifests/1", $"HEAD /v2/lib/app/manifests/{fallback}.sig"],
            _source.Requests);
    }

    [Fact]
    public async Task ImagesInFlightTogether_AskWhetherTheSourceHasTheReferrersApiOnce()
    {
        _destination.On("HEAD", "/v2/m/app[0-9]/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("HEAD", "/v2/lib/app/manifests/1", HttpStatusCode.OK, Digested(ManifestDigest));
        _source.On("GET", "/v2/lib/app/referrers/.*", HttpStatusCode.NotFound);
        _source.On("HEAD", "/v2/lib/app/manifests/sha256-.*", HttpStatusCode.NotFound);

        // Six destinations of one source image; the answer takes a far round trip, so all six are in flight before it arrives.
        _source.Hold = r => r.RequestUri!.AbsolutePath.Contains("/referrers/", StringComparison.Ordinal) ? System.Threading.Tasks.Task.Delay(300) : System.Threading.Tasks.Task.CompletedTask;
        var results = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            _engine.CopyAsync(Task with { Destination = ImageReference.Parse($"dst.test/m/app{i}:1"), Referrers = true, SourceReferrerTags = new HashSet<string>() }, _registries, new TransferStats(), CancellationToken.None)));

        Assert.All(results, r => Assert.Equal(SyncStatus.AlreadyInSync, r.Status));
        Assert.Single(_source.Requests, r => r.StartsWith("GET /v2/lib/app/referrers/", StringComparison.Ordinal));
        Assert.Equal(6, _source.Requests.Count(r => r == "HEAD /v2/lib/app/manifests/1"));
    }

    [Fact]
    public async Task ABlobsUpload_GoesOutWhileItsSourceIsStillAnswering()
    {
        MissingTag();
        _destination
            .On("POST", "/v2/m/app/blobs/uploads/", _ => Session())
            .On("HEAD", "/v2/m/app/blobs/.*", HttpStatusCode.NotFound)
            .On("PUT", "/v2/m/app/blobs/uploads/session-1", HttpStatusCode.Created);

        // The source answers a blob only once the destination has been sent that blob's PUT (or
        // after five seconds): the two round trips overlap instead of following each other.
        var puts = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
        TaskCompletionSource PutOf(string digest) => puts.GetOrAdd(digest, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var answeredBeforeItsPut = 0;
        _destination.Hold = r =>
        {
            if (r.Method == HttpMethod.Put && r.RequestUri!.Query.Contains("digest=", StringComparison.Ordinal))
            {
                PutOf(Uri.UnescapeDataString(r.RequestUri.Query).Split("digest=")[1]).TrySetResult();
            }

            return System.Threading.Tasks.Task.CompletedTask;
        };
        _source.Hold = async r =>
        {
            var path = r.RequestUri!.AbsolutePath;
            if (path.Contains("/blobs/", StringComparison.Ordinal))
            {
                try
                {
                    await PutOf(path[(path.LastIndexOf('/') + 1)..]).Task.WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref answeredBeforeItsPut);
                }
            }
        };

        var result = await CopyAsync();

        Assert.True(result.Status == SyncStatus.Synced, result.Error);
        Assert.Equal(0, answeredBeforeItsPut);
        Assert.Equal(2, _source.Requests.Count(r => r.Contains("/blobs/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BlobsAlreadyInTheTargetRepository_AreSkipped_WithOnePostEach_AndRecorded()
    {
        MissingTag();
        _destination.On("POST", "/v2/m/app/blobs/uploads/", HttpStatusCode.Created);

        var stats = new TransferStats();
        var result = await CopyAsync(stats);

        Assert.Equal(SyncStatus.Synced, result.Status);
        Assert.Equal(2, stats.BlobsSkipped);
        Assert.DoesNotContain(_source.Requests, r => r.Contains("/blobs/", StringComparison.Ordinal));
        Assert.Contains($"POST /v2/m/app/blobs/uploads/?mount={LayerDigest}&from=m%2Fapp", _destination.Requests);
        Assert.Equal("m/app", await _records.FindBlobRepositoryAsync("dst.test", LayerDigest, "m/app", default));
    }

    [Fact]
    public async Task ABlobTheRecordsKnowInAnotherRepository_IsMountedFromThere()
    {
        MissingTag();
        await _records.RecordBlobAsync("dst.test", "other/app", LayerDigest, Layer.Length, default);
        _destination.On("POST", "/v2/m/app/blobs/uploads/", request =>
            request.RequestUri!.Query.Contains("from=other%2Fapp", StringComparison.Ordinal)
                ? new HttpResponseMessage(HttpStatusCode.Created)
                : Session());
        _destination.On("HEAD", $"/v2/m/app/blobs/{ConfigDigest}", HttpStatusCode.NotFound);
        _destination.On("PUT", "/v2/m/app/blobs/uploads/session-1", HttpStatusCode.Created);

        var stats = new TransferStats();
        await CopyAsync(stats);

        Assert.Equal(1, stats.BlobsMounted);
        Assert.Equal(1, stats.BlobsCopied);
        Assert.DoesNotContain($"GET /v2/lib/app/blobs/{LayerDigest}", _source.Requests);
        Assert.Contains($"GET /v2/lib/app/blobs/{ConfigDigest}", _source.Requests);
    }

    [Fact]
    public async Task AMountAnsweredWithASession_WhereTheBlobIsGone_ForgetsThatRecord_AndUploads()
    {
        MissingTag();
        await _records.RecordBlobAsync("dst.test", "other/app", LayerDigest, Layer.Length, default);
        _destination.On("POST", "/v2/m/app/blobs/uploads/", _ => Session());
        _destination.On("HEAD", "/v2/(other|m)/app/blobs/.*", HttpStatusCode.NotFound);
        _destination.On("PUT", "/v2/m/app/blobs/uploads/session-1", HttpStatusCode.Created);

        var stats = new TransferStats();
        await CopyAsync(stats);

        Assert.Equal(2, stats.BlobsCopied);
        Assert.Contains($"HEAD /v2/other/app/blobs/{LayerDigest}", _destination.Requests);
        Assert.Equal("m/app", await _records.FindBlobRepositoryAsync("dst.test", LayerDigest, "zzz", default));
    }

    [Fact]
    public async Task ARegistryThatIgnoresMounts_KeepsCorrectRecords_AndIsNeverSentABlobItHolds()
    {
        // Like Quay, or ECR without blob mounting: every POST opens a session, mount or not.
        MissingTag();
        await _records.RecordBlobAsync("dst.test", "other/app", LayerDigest, Layer.Length, default);
        _destination.On("POST", "/v2/m/app/blobs/uploads/", _ => Session());
        _destination.On("HEAD", $"/v2/other/app/blobs/{LayerDigest}", HttpStatusCode.OK);
        _destination.On("HEAD", $"/v2/m/app/blobs/{LayerDigest}", HttpStatusCode.OK);
        _destination.On("HEAD", $"/v2/m/app/blobs/{ConfigDigest}", HttpStatusCode.NotFound);
        _destination.On("DELETE", "/v2/m/app/blobs/uploads/session-1", HttpStatusCode.NoContent);
        _destination.On("PUT", "/v2/m/app/blobs/uploads/session-1", HttpStatusCode.Created);

        var stats = new TransferStats();
        var result = await CopyAsync(stats);

        Assert.Equal(SyncStatus.Synced, result.Status);
        Assert.DoesNotContain(_destination.Requests, r => r.StartsWith("PUT", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString(LayerDigest.ToString()), StringComparison.Ordinal));
        Assert.DoesNotContain($"GET /v2/lib/app/blobs/{LayerDigest}", _source.Requests);
        Assert.Equal(1, stats.BlobsCopied);
        Assert.Equal(1, stats.BlobsSkipped);
        Assert.Equal("other/app", await _records.FindBlobRepositoryAsync("dst.test", LayerDigest, "other/app", default));
    }

    private Task<TaskResult> CopyAsync(TransferStats? stats = null) =>
        _engine.CopyAsync(Task, _registries, stats ?? new TransferStats(), CancellationToken.None);

    private void MissingTag() => _destination.On("HEAD", "/v2/m/app/manifests/1", HttpStatusCode.NotFound);

    private static HttpResponseMessage Session()
    {
        var response = new HttpResponseMessage(HttpStatusCode.Accepted);
        response.Headers.Location = new Uri("/v2/m/app/blobs/uploads/session-1", UriKind.Relative);
        return response;
    }

    private static Action<HttpResponseMessage> Digested(Digest digest) => response =>
    {
        response.Headers.Add("Docker-Content-Digest", digest.ToString());
        response.Content.Headers.ContentType = new MediaTypeHeaderValue(Oci);
    };

    private static HttpResponseMessage Answer(HttpStatusCode status, byte[] body, string mediaType)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(body) };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return response;
    }
}
