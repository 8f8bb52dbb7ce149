using System.Net;
using Microsoft.AspNetCore.Http;
using System.Net.Http.Headers;
using System.Text;
using SyncGateway.Gateway.Tests.Cli;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Proxy;

/// <summary>
/// <c>syncgateway serve</c> between a real source and a real mirror registry, with skopeo and
/// plain HTTP as clients: pushes land at the source and then at the mirror, reads come from the
/// mirror when they can (the X-SyncGateway-Backend header and the metrics say which), the source
/// stays the authority, and nothing hostile reaches an upstream.
/// </summary>
public sealed class GatewayTests
{
    private const string Backend = "X-SyncGateway-Backend";

    [Fact]
    public async Task APushThroughTheGateway_LandsAtTheSource_AndWithinSecondsAtTheMirror()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atSource = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        var seed = await seeder.PushImageAsync("seed/app", "1", [ImageSeeder.GzipBytes(300_000, 300), ImageSeeder.GzipBytes(1000, 301)]);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);

        await Skopeo.CopyAsync($"docker://{source.Host}/seed/app:1", $"docker://{gateway.Host}/lib/app:1");

        var pushed = await atSource.ManifestDigestAsync("lib/app", "1");
        Assert.Equal(seed.Digest, pushed);
        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/app", "1") == pushed), gateway.Log);
        Assert.Equal(pushed, await Skopeo.ManifestDigestAsync($"{mirror.Host}/mirror/app:1"));
    }

    [Fact]
    public async Task AnImageOnlyAtTheSource_IsReadThroughTheGateway_ThenReplicated_ThenServedFromTheMirror()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        using var atMirror = new ImageSeeder(mirror.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/only"]);
        var image = await seeder.PushImageAsync("lib/only", "1", [ImageSeeder.RandomBytes(50_000, 310)]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };

        var reads = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => GetManifestAsync(http, "lib/only", "1")));
        Assert.All(reads, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(reads, r => Assert.Equal("source", r.Headers.GetValues(Backend).Single()));
        Assert.Single(gateway.Log.Split('\n'), line => line.Contains("/lib/only:1 for ", StringComparison.Ordinal) && line.Contains("(read_miss)", StringComparison.Ordinal));
        foreach (var read in reads)
        {
            read.Dispose();
        }

        Assert.Equal(image.Digest, await Skopeo.ManifestDigestAsync($"{gateway.Host}/lib/only:1"));

        Assert.True(await Wait.UntilAsync(async () => await atMirror.ManifestDigestAsync("mirror/only", "1") == image.Digest), gateway.Log);
        // A miss at the mirror is remembered for a moment; then reads come from there.
        Assert.True(await Wait.UntilAsync(async () =>
        {
            using var again = await GetManifestAsync(http, "lib/only", "1");
            return again.Headers.GetValues(Backend).Single() == "mirror";
        }), gateway.Log);
        using var second = await GetManifestAsync(http, "lib/only", "1");
        Assert.Equal("mirror", second.Headers.GetValues(Backend).Single());
        Assert.Equal(image.Manifest, await second.Content.ReadAsByteArrayAsync());
        using var blob = await http.GetAsync($"v2/lib/only/blobs/{image.LayerDigests[0]}");
        Assert.Equal("mirror", blob.Headers.GetValues(Backend).Single());
        Assert.Equal(image.LayerDigests[0], ImageSeeder.DigestOf(await blob.Content.ReadAsByteArrayAsync()));

        // A HEAD carries no content: the source, the authority, answers it.
        using var head = new HttpRequestMessage(HttpMethod.Head, "v2/lib/only/manifests/1");
        head.Headers.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
        using var headAnswer = await http.SendAsync(head);
        Assert.Equal("source", headAnswer.Headers.GetValues(Backend).Single());
        Assert.Equal(image.Digest, headAnswer.Headers.GetValues("Docker-Content-Digest").Single());

        var metrics = await http.GetStringAsync("metrics");
        Assert.Matches("""syncgateway_gateway_requests_total\{backend="mirror",method="GET",result="2xx"\} [1-9]""", metrics);
        Assert.Matches("""syncgateway_gateway_requests_total\{backend="source",method="GET",result="2xx"\} [1-9]""", metrics);
    }

    [Fact]
    public async Task MonolithicAndChunkedUploads_AndRangeReads_Work()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var atSource = new ImageSeeder(source.Host);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/up"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        var whole = ImageSeeder.RandomBytes(200_000, 320);
        var chunked = ImageSeeder.RandomBytes(3 * 1024 * 1024, 321);

        // Monolithic: POST, then one PUT with the body.
        using (var start = await http.PostAsync("v2/lib/up/blobs/uploads/", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            Assert.Equal(gateway.Host, start.Headers.Location!.IsAbsoluteUri ? start.Headers.Location.Authority : gateway.Host);
            using var put = await http.PutAsync(WithDigest(start.Headers.Location, ImageSeeder.DigestOf(whole)), Octets(whole));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Chunked: POST, PATCH in 1 MiB pieces following each Location, then PUT.
        using (var start = await http.PostAsync("v2/lib/up/blobs/uploads/", null))
        {
            var location = start.Headers.Location!;
            for (var offset = 0; offset < chunked.Length; offset += 1024 * 1024)
            {
                var length = Math.Min(1024 * 1024, chunked.Length - offset);
                using var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = Octets(chunked.AsSpan(offset, length).ToArray()) };
                request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
                using var patch = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
                location = patch.Headers.Location!;
                Assert.True(!location.IsAbsoluteUri || location.Authority == gateway.Host, $"Location {location} must point at the gateway");
            }

            using var put = await http.PutAsync(WithDigest(location, ImageSeeder.DigestOf(chunked)), null);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        Assert.True(await atSource.BlobExistsAsync("lib/up", ImageSeeder.DigestOf(whole)));
        Assert.True(await atSource.BlobExistsAsync("lib/up", ImageSeeder.DigestOf(chunked)));

        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"v2/lib/up/blobs/{ImageSeeder.DigestOf(chunked)}");
        ranged.Headers.Range = new RangeHeaderValue(1_000_000, 1_000_099);
        using var part = await http.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(chunked.AsSpan(1_000_000, 100).ToArray(), await part.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Passthrough_AClientWithoutCredentials_CannotReadFromTheMirrorWhatTheSourceForbids()
    {
        await using var source = await RegistryProcess.StartAsync("reader", "s3cret");
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host, "reader", "s3cret");
        var image = await seeder.PushImageAsync("private/app", "1", [ImageSeeder.RandomBytes(10_000, 330)]);
        var sync = workspace.Write("sync.yaml", $"\"{source.Host}\": {{username: reader, password: s3cret, insecure: true}}\n\"{mirror.Host}\": {{insecure: true}}\n");
        var images = workspace.Write("images.yaml", $"\"{source.Host}/private/app:1\": \"{mirror.Host}/mirror/app\"\n");
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", sync, "--images", images, "--records", workspace.Records)).ExitCode);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["private/app"]);
        using var anonymous = new HttpClient { BaseAddress = gateway.BaseUri };
        using var reader = new HttpClient { BaseAddress = gateway.BaseUri };
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("reader:s3cret")));

        using var refusedManifest = await GetManifestAsync(anonymous, "private/app", image.Digest);
        using var refusedBlob = await anonymous.GetAsync($"v2/private/app/blobs/{image.LayerDigests[0]}");
        using var allowed = await GetManifestAsync(reader, "private/app", image.Digest);
        using var allowedBlob = await reader.GetAsync($"v2/private/app/blobs/{image.LayerDigests[0]}");

        Assert.Equal(HttpStatusCode.Unauthorized, refusedManifest.StatusCode);
        Assert.Equal("source", refusedManifest.Headers.GetValues(Backend).Single());
        Assert.Equal(HttpStatusCode.Unauthorized, refusedBlob.StatusCode);
        Assert.DoesNotContain(image.Manifest.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), refusedManifest.Content.Headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("mirror", allowed.Headers.GetValues(Backend).Single());
        Assert.Equal("mirror", allowedBlob.Headers.GetValues(Backend).Single());
    }

    [Fact]
    public async Task WithTheSourceStopped_ReplicatedTagsStillPull_FromTheMirror()
    {
        var sourcePort = RegistryProcess.FreePort();
        await using var source = await RegistryProcess.StartAsync(port: sourcePort);
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var image = await seeder.PushImageAsync("lib/steady", "1", [ImageSeeder.GzipBytes(20_000, 340)]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/steady:1\": \"{mirror.Host}/mirror/steady\"\n");
        var auth = workspace.InsecureAuth(source.Host, mirror.Host);
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records)).ExitCode);
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/steady"]);

        await source.StopAsync();

        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        using var manifest = await GetManifestAsync(http, "lib/steady", "1");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal("mirror", manifest.Headers.GetValues(Backend).Single());
        using var head = new HttpRequestMessage(HttpMethod.Head, "v2/lib/steady/manifests/1");
        head.Headers.TryAddWithoutValidation("Accept", ImageSeeder.OciManifest);
        using var headAnswer = await http.SendAsync(head);
        Assert.True(headAnswer.StatusCode == HttpStatusCode.OK, gateway.Log);
        Assert.Equal("mirror", headAnswer.Headers.GetValues(Backend).Single());
        Assert.Equal(image.Digest, headAnswer.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(image.Digest, await Skopeo.ManifestDigestAsync($"{gateway.Host}/lib/steady:1"));
        var copy = Path.Combine(workspace.Folder, "pulled");
        await Skopeo.CopyAsync($"docker://{gateway.Host}/lib/steady:1", $"dir:{copy}");
        Assert.True(File.Exists(Path.Combine(copy, image.LayerDigests[0]["sha256:".Length..])));
        Assert.Matches("syncgateway_gateway_stale_reads_total [1-9]", await http.GetStringAsync("metrics"));
    }

    [Theory]
    [InlineData("v2/Lib/App/manifests/1", "NAME_INVALID")]
    [InlineData("v2/lib/app/manifests/..%2F..%2Fetc", "MANIFEST_INVALID")]
    [InlineData("v2/lib/app/blobs/sha256:..%2F..%2Fx", "DIGEST_INVALID")]
    [InlineData("v2/lib/app/blobs/sha256:abc", "DIGEST_INVALID")]
    [InlineData("v2/lib%2F..%2Fapp/tags/list", "NAME_INVALID")]
    [InlineData("v2/lib/app/blobs/uploads/..%2Fx", "BLOB_UPLOAD_INVALID")]
    public async Task HostileNamesAndDigests_Get400WithAnOciBody_AndNeverReachTheSource(string path, string code)
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var watched = await FaultProxy.StartAsync(source.BaseUri);
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, watched.Host, mirror.Host, ["lib/app"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        watched.Requests.Clear();

        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"code\":\"{code}\"", body, StringComparison.Ordinal);
        Assert.Empty(watched.Requests);
    }

    [Fact]
    public async Task AMirrorThatRedirectsBlobsToStorage_PassesTheRedirectToTheClient()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        await using var mirrorFront = await FaultProxy.StartAsync(mirror.BaseUri);
        await using var storage = await FaultProxy.StartAsync(mirror.BaseUri);
        using var workspace = new Workspace();
        using var seeder = new ImageSeeder(source.Host);
        var layer = ImageSeeder.GzipBytes(100_000, 350);
        var image = await seeder.PushImageAsync("lib/stored", "1", [layer]);
        var images = workspace.Write("images.yaml", $"\"{source.Host}/lib/stored:1\": \"{mirror.Host}/mirror/stored\"\n");
        var auth = workspace.InsecureAuth(source.Host, mirror.Host);
        Assert.Equal(0, (await CliRun.InvokeAsync("sync", "--auth", auth, "--images", images, "--records", workspace.Records)).ExitCode);
        mirrorFront.Fault = context =>
        {
            if (context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/blobs/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                context.Response.Headers.Location = $"http://{storage.Host}/bucket/{context.Request.Path.Value.Split('/')[^1]}?signature=abc";
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        };
        storage.Fault = async context =>
        {
            context.Response.ContentLength = layer.Length;
            await context.Response.Body.WriteAsync(layer);
            return true;
        };
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirrorFront.Host, ["lib/stored"]);
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = gateway.BaseUri };
        using var following = new HttpClient { BaseAddress = gateway.BaseUri };

        using var redirect = await noRedirects.GetAsync($"v2/lib/stored/blobs/{image.LayerDigests[0]}");
        using var pulled = await following.GetAsync($"v2/lib/stored/blobs/{image.LayerDigests[0]}");

        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
        Assert.Equal("mirror", redirect.Headers.GetValues(Backend).Single());
        Assert.Equal(storage.Host, redirect.Headers.Location!.Authority);
        Assert.Equal(layer, await pulled.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AManifestOverFourMebibytes_Gets413()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var mirror = await RegistryProcess.StartAsync();
        using var workspace = new Workspace();
        await using var gateway = await RunningGateway.StartAsync(workspace, source.Host, mirror.Host, ["lib/app"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseUri };
        using var content = new ByteArrayContent(new byte[(4 * 1024 * 1024) + 1]);
        content.Headers.ContentType = new MediaTypeHeaderValue(ImageSeeder.OciManifest);

        using var request = new HttpRequestMessage(HttpMethod.Put, "v2/lib/app/manifests/big") { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("\"errors\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> GetManifestAsync(HttpClient http, string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        request.Headers.TryAddWithoutValidation("Accept", $"{ImageSeeder.OciManifest}, {ImageSeeder.OciIndex}, {ImageSeeder.DockerManifest}");
        return await http.SendAsync(request);
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var text = location.ToString();
        return new Uri(text + (text.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest), UriKind.RelativeOrAbsolute);
    }

    private static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}
