using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SyncGateway.Bench;

/// <summary>
/// The destination registry's own write path: every blob and manifest that a sync of the workload
/// writes, pushed from memory straight into a fresh registry (monolithic uploads, five at a time,
/// each blob once per registry and mounted into the other repositories), with no source to read.
/// What a sync takes beyond this is the cost of reading the source and of the tool.
/// </summary>
internal static class WritePath
{
    private const int Parallel = 5;

    public static async Task<TimeSpan> MeasureAsync(string source, IEnumerable<string> repositories, string destination)
    {
        using var http = new HttpClient();
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
                foreach (var digest in digests.Where(d => !blobs.ContainsKey(d)))
                {
                    blobs[digest] = await http.GetByteArrayAsync($"http://{source}/v2/{repository}/blobs/{digest}");
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var uploaded = new HashSet<string>();
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

        // Each blob once, into the first repository that needs it.
        await System.Threading.Tasks.Parallel.ForEachAsync(firstHome, new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (entry, _) =>
        {
            using var start = await http.PostAsync($"http://{destination}/v2/{entry.Value}/blobs/uploads/", null);
            var location = new Uri(new Uri($"http://{destination}/"), start.Headers.Location!);
            using var content = new ByteArrayContent(blobs[entry.Key]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var put = await http.PutAsync($"{location}{(location.Query.Length > 0 ? "&" : "?")}digest={Uri.EscapeDataString(entry.Key)}", content);
            put.EnsureSuccessStatusCode();
        });

        // Then every image: mounts for the blobs it shares with other repositories, and its manifest.
        await System.Threading.Tasks.Parallel.ForEachAsync(manifests, new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (image, _) =>
        {
            using var manifest = JsonDocument.Parse(image.Bytes);
            var digests = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)
                .Append(manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!);
            foreach (var digest in digests.Where(d => firstHome[d] != image.Repository))
            {
                using var mount = await http.PostAsync($"http://{destination}/v2/{image.Repository}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(firstHome[digest])}", null);
            }

            using var content = new ByteArrayContent(image.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(image.MediaType);
            using var put = await http.PutAsync($"http://{destination}/v2/{image.Repository}/manifests/{image.Tag}", content);
            put.EnsureSuccessStatusCode();
        });

        return clock.Elapsed;
    }
}
