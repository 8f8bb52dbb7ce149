using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace SyncGateway.Bench;

/// <summary>
/// The destination registry's own write path: every blob and manifest that a sync of the workload
/// writes, pushed straight into a fresh registry (monolithic uploads, five at a time, each blob
/// once per registry and mounted into the other repositories). From memory, with no source to
/// read, it is what the destination alone allows; piped (<c>pipe</c>), each blob streams from a
/// source GET into its PUT as it arrives, a minimal keep-alive client with nothing but the copy:
/// the pipe limit a sync is measured against. What a sync takes beyond that is the tool's.
/// Verifying (<c>verify</c>), the pipe also hashes each blob as it passes and checks its digest at
/// the end, as a sync does: the CPU floor of a copy that checks what it copies.
/// </summary>
internal static class WritePath
{
    private const int Parallel = 5;

    /// <summary>How long the writes took, the CPU this process spent on them, and the blob bytes sent.</summary>
    public sealed record Measure(TimeSpan Elapsed, double CpuSeconds, long BlobBytes);

    public static async Task<TimeSpan> MeasureAsync(string source, IEnumerable<string> repositories, string destination) =>
        (await MeasureAsync(source, repositories, destination, pipe: false)).Elapsed;

    /// <summary>
    /// <paramref name="requestsInFlight"/> bounds the requests that carry no blob (upload POSTs,
    /// mounts, manifests); blob streams are five at a time whatever it says.
    /// </summary>
    public static async Task<Measure> MeasureAsync(string source, IEnumerable<string> repositories, string destination, bool pipe, int requestsInFlight = Parallel, bool verify = false)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 });
        var manifests = new List<(string Repository, string Tag, byte[] Bytes, string MediaType)>();
        var blobs = new Dictionary<string, byte[]>();
        foreach (var repository in repositories)
        {
            using var tagsDocument = JsonDocument.Parse(await http.GetByteArrayAsync($"http://{source}/v2/{repository}/tags/list"));
            foreach (var tag in tagsDocument.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!))
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{source}/v2/{repository}/manifests/{tag}");
                request.Headers.TryAddWithoutValidation("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json");
                using var response = await http.SendAsync(request);
                var bytes = await response.Content.ReadAsByteArrayAsync();
                manifests.Add((repository, tag, bytes, response.Content.Headers.ContentType!.MediaType!));
                using var manifest = JsonDocument.Parse(bytes);
                var digests = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)
                    .Append(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!);
                foreach (var digest in digests.Where(d => !pipe && !blobs.ContainsKey(d)))
                {
                    blobs[digest] = await http.GetByteArrayAsync($"http://{source}/v2/{repository}/blobs/{digest}");
                }
            }
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var firstHome = new Dictionary<string, string>();
        foreach (var (repository, _, bytes, _) in manifests)
        {
            using var manifest = JsonDocument.Parse(bytes);
            foreach (var digest in manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)
                         .Append(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!))
            {
                firstHome.TryAdd(digest, repository);
            }
        }

        // Each blob once, into the first repository that needs it: the session opened, then the bytes in one of the streams.
        using var streams = new SemaphoreSlim(Parallel);
        await System.Threading.Tasks.Parallel.ForEachAsync(firstHome, new ParallelOptions { MaxDegreeOfParallelism = requestsInFlight }, async (entry, _) =>
        {
            using var start = await http.PostAsync($"http://{destination}/v2/{entry.Value}/blobs/uploads/", null);
            var location = new Uri(new Uri($"http://{destination}/"), start.Headers.Location!);
            await streams.WaitAsync();
            using var stream = new Releaser(streams);
            using var read = pipe ? await http.GetAsync($"http://{source}/v2/{entry.Value}/blobs/{entry.Key}", HttpCompletionOption.ResponseHeadersRead) : null;
            using HttpContent content = read is null
                ? new ByteArrayContent(blobs[entry.Key])
                : new StreamContent(Checked(await read.EnsureSuccessStatusCode().Content.ReadAsStreamAsync(), entry.Key, verify), 128 * 1024);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = read?.Content.Headers.ContentLength ?? blobs[entry.Key].Length;
            Interlocked.Add(ref sent, content.Headers.ContentLength.Value);
            using var put = await http.PutAsync($"{location}{(location.Query.Length > 0 ? "&" : "?")}digest={Uri.EscapeDataString(entry.Key)}", content);
            await EnsureAsync(put, $"blob {entry.Key} into {entry.Value}");
        });

        // Then the mounts of the blobs repositories share, each (repository, blob) once: distribution
        // 2.8 can lose a link when two mounts of one blob into one repository race.
        var mounts = new HashSet<(string Repository, string Digest)>();
        foreach (var (repository, _, bytes, _) in manifests)
        {
            using var manifest = JsonDocument.Parse(bytes);
            foreach (var digest in manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)
                         .Append(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!)
                         .Where(d => firstHome[d] != repository))
            {
                mounts.Add((repository, digest));
            }
        }

        await System.Threading.Tasks.Parallel.ForEachAsync(mounts, new ParallelOptions { MaxDegreeOfParallelism = requestsInFlight }, async (mount, _) =>
        {
            using var answer = await http.PostAsync($"http://{destination}/v2/{mount.Repository}/blobs/uploads/?mount={mount.Digest}&from={Uri.EscapeDataString(firstHome[mount.Digest])}", null);
            if (answer.StatusCode != System.Net.HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"mount of {mount.Digest} from {firstHome[mount.Digest]} into {mount.Repository}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }
        });

        // And every manifest.
        await System.Threading.Tasks.Parallel.ForEachAsync(manifests, new ParallelOptions { MaxDegreeOfParallelism = requestsInFlight }, async (image, _) =>
        {
            using var content = new ByteArrayContent(image.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(image.MediaType);
            using var put = await http.PutAsync($"http://{destination}/v2/{image.Repository}/manifests/{image.Tag}", content);
            await EnsureAsync(put, $"manifest {image.Repository}:{image.Tag}");
        });

        return new Measure(clock.Elapsed, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, sent);
    }

    private static Stream Checked(Stream body, string digest, bool verify) => verify ? new HashingStream(body, digest) : body;

    /// <summary>
    /// Hashes what is read through it; at the end, throws unless it was the content of <c>digest</c>.
    /// Not the product's <c>VerifyingStream</c>: the floor must not contain what it is the floor of.
    /// </summary>
    private sealed class HashingStream(Stream inner, string digest) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                _hash.AppendData(buffer.Span[..read]);
            }
            else if (buffer.Length > 0 && "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset()) != digest)
            {
                throw new InvalidDataException($"blob {digest} did not match its digest");
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
