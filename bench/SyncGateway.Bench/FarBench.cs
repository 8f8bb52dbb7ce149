using System.Globalization;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// Registries far away: the source behind a proxy that adds 15 ms to every request and each
/// destination behind one that adds 40 ms. The <see cref="Workload.Far"/> images are seeded into the
/// source directly, then copied through the proxies by <c>syncgateway sync --proc 5</c> and by one
/// <c>skopeo sync --src yaml</c> process, each cold into a fresh destination and then again with
/// nothing to do; the proxies count the requests each run sends. After every run the destination
/// must hold every image with the source's manifest digest.
/// </summary>
internal static class FarBench
{
    private const string SystemCache = "/var/lib/containers/cache";
    private static readonly TimeSpan SourceDelay = TimeSpan.FromMilliseconds(15);
    private static readonly TimeSpan DestinationDelay = TimeSpan.FromMilliseconds(40);

    // syncgateway's images in flight (SyncOptions.DefaultImagesInFlight): what the write floor allows besides the streams.
    private const int FloorRequestsInFlight = 64;

    private sealed record Run(string Tool, string Name, Measured Measured, RequestCounts Source, RequestCounts Destination, string Load);

    public static async Task RunAsync(string syncgateway, Action<string> line)
    {
        var workload = Workload.Far;
        var images = workload.Repositories * workload.Tags;
        await using var source = await RegistryProcess.StartAsync();
        using (var seeder = new ImageSeeder(source.Host))
        {
            await workload.SeedAsync(seeder, parallel: 4);
        }

        var expected = await DigestsAsync(source.Host, workload.RepositoryNames.Select(r => (r, r)), workload);
        await using var sourceProxy = await LatencyProxy.StartAsync(source.BaseUri, SourceDelay);
        var folder = Directory.CreateTempSubdirectory("syncgateway-bench-far-").FullName;
        var runs = new List<Run>();
        string cacheSetUp;
        WritePath.Measure floor;
        string floorLoad;
        RequestCounts floorRequests;
        try
        {
            // SYNCGATEWAY_BENCH_BASELINE names another build (an earlier commit's) to run the same way
            // in the same run, for a before/after that shares the machine's state.
            var builds = new List<(string Tool, string Binary)> { ("syncgateway", syncgateway) };
            if (Environment.GetEnvironmentVariable("SYNCGATEWAY_BENCH_BASELINE") is { Length: > 0 } baseline)
            {
                builds.Add(("syncgateway (baseline)", Path.GetFullPath(baseline)));
            }

            foreach (var (tool, binary) in builds)
            {
                await using var destination = await RegistryProcess.StartAsync();
                await using var destinationProxy = await LatencyProxy.StartAsync(destination.BaseUri, DestinationDelay);
                var config = Path.Combine(folder, "image-syncer.json");
                await File.WriteAllTextAsync(config, Configs.ImageSyncer(sourceProxy.Host, destinationProxy.Host, workload));
                string[] arguments = ["sync", "--config", config, "--records", Path.Combine(folder, $"records-{builds.IndexOf((tool, binary))}.db"), "--proc", "5"];
                foreach (var name in new[] { "cold", "nothing to do" })
                {
                    var load = LoadAverage();
                    var measured = await Measured.RunAsync($"{tool} {name}", binary, arguments);
                    if (Environment.GetEnvironmentVariable("SYNCGATEWAY_BENCH_LOGS") is { Length: > 0 } logs)
                    {
                        // Each run's log (one timestamped line per blob and image), to see where its time went.
                        var stem = Path.Combine(logs, $"far-{tool.Replace(' ', '-')}-{name.Replace(' ', '-')}");
                        await File.WriteAllTextAsync(stem + ".log", measured.Output);
                        await File.WriteAllLinesAsync(stem + ".source-requests", sourceProxy.TakeArrivals());
                        await File.WriteAllLinesAsync(stem + ".destination-requests", destinationProxy.TakeArrivals());
                    }

                    runs.Add(await CheckedAsync(new Run(tool, name, measured, sourceProxy.Take(), destinationProxy.Take(), $"{load}, {LoadAverage()}"), destination.Host, workload, expected));
                }
            }

            await using (var destination = await RegistryProcess.StartAsync())
            await using (var destinationProxy = await LatencyProxy.StartAsync(destination.BaseUri, DestinationDelay))
            {
                var config = Path.Combine(folder, "skopeo.yaml");
                await File.WriteAllTextAsync(config, Configs.Skopeo(sourceProxy.Host, workload, listTags: true));
                string[] arguments = ["sync", "--src", "yaml", "--dest", "docker", "--src-tls-verify=false", "--dest-tls-verify=false", config, $"{destinationProxy.Host}/mirror"];
                var systemCacheBefore = Describe(SystemCache);
                var caches = new List<string>();
                for (var i = 0; i < 2; i++)
                {
                    var name = i == 0 ? "cold" : "nothing to do";
                    var (program, wrapped, environment, cache) = FreshCache(Path.Combine(folder, $"skopeo-{i}"), ["skopeo", .. arguments]);
                    var load = LoadAverage();
                    var measured = await Measured.RunAsync($"skopeo {name}", program, wrapped, environment);
                    caches.Add($"{name}: {Describe(cache)}");
                    runs.Add(await CheckedAsync(new Run("skopeo", name, measured, sourceProxy.Take(), destinationProxy.Take(), $"{load}, {LoadAverage()}"), destination.Host, workload, expected));
                }

                cacheSetUp = CacheSetUp(systemCacheBefore, caches);
            }

            // The least any tool that keeps to five blob streams needs here: every blob and manifest
            // written once through the same far proxy, the bytes from memory (read before the clock).
            await using (var destination = await RegistryProcess.StartAsync())
            await using (var destinationProxy = await LatencyProxy.StartAsync(destination.BaseUri, DestinationDelay))
            {
                var load = LoadAverage();
                floor = await WritePath.MeasureAsync(source.Host, workload.RepositoryNames, destinationProxy.Host, pipe: false, requestsInFlight: FloorRequestsInFlight);
                floorLoad = $"{load}, {LoadAverage()}";
                floorRequests = destinationProxy.Take();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        Report(line, workload, images, runs, cacheSetUp);
        ReportFloor(line, runs, floor, floorLoad, floorRequests);
    }

    /// <summary>
    /// skopeo with a fresh, empty blob-info cache: HOME and the XDG folders in a new folder, and,
    /// for root (whose cache is <see cref="SystemCache"/> whatever HOME says), an empty folder
    /// bind-mounted over the system cache in a private mount namespace of its own (<c>unshare -m</c>).
    /// </summary>
    internal static (string Program, string[] Arguments, Dictionary<string, string> Environment, string Cache) FreshCache(string folder, string[] command)
    {
        var home = Directory.CreateDirectory(Path.Combine(folder, "home")).FullName;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["XDG_CONFIG_HOME"] = Directory.CreateDirectory(Path.Combine(home, ".config")).FullName,
            ["XDG_DATA_HOME"] = Directory.CreateDirectory(Path.Combine(home, ".local", "share")).FullName,
            ["XDG_CACHE_HOME"] = Directory.CreateDirectory(Path.Combine(home, ".cache")).FullName,
            ["XDG_RUNTIME_DIR"] = Directory.CreateDirectory(Path.Combine(folder, "run")).FullName,
        };
        if (!Environment.IsPrivilegedProcess)
        {
            return (command[0], command[1..], environment, Path.Combine(environment["XDG_DATA_HOME"], "containers", "cache"));
        }

        Directory.CreateDirectory(SystemCache);
        var cache = Directory.CreateDirectory(Path.Combine(folder, "cache")).FullName;
        return ("unshare", ["--mount", "--propagation", "private", "sh", "-c", "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh", cache, SystemCache, .. command], environment, cache);
    }

    private static string CacheSetUp(string systemCacheBefore, List<string> caches)
    {
        var how = Environment.IsPrivilegedProcess
            ? $"skopeo ran as root, so its blob-info cache is {SystemCache}: each skopeo run had an empty temporary folder bind-mounted over it in a private mount namespace (`unshare --mount --propagation private sh -c 'mount --bind EMPTY {SystemCache} && exec skopeo ...'`), and HOME/XDG_* pointed at a new temporary folder"
            : "skopeo ran as a user, so its blob-info cache is under XDG_DATA_HOME: each skopeo run had HOME/XDG_* pointed at a new temporary folder";
        return $"{how}. After each run the fresh cache held: {string.Join("; ", caches)}. {SystemCache} before the skopeo runs: {systemCacheBefore}; after: {Describe(SystemCache)}.";
    }

    /// <summary>The files in a folder, with their sizes and modification times.</summary>
    private static string Describe(string folder) =>
        !Directory.Exists(folder) ? "absent"
            : Directory.GetFiles(folder) is { Length: > 0 } files
                ? string.Join(", ", files.Select(f => new FileInfo(f)).Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Length / 1024} KiB, modified {f.LastWriteTimeUtc:HH:mm:ss}")))
                : "empty";

    /// <summary>Fails loudly when the run failed or the destination lacks an image or has another digest for it.</summary>
    private static async Task<Run> CheckedAsync(Run run, string destination, Workload workload, Dictionary<string, string?> expected)
    {
        if (run.Measured.ExitCode != 0)
        {
            throw new InvalidOperationException($"{run.Measured.Label} exited {run.Measured.ExitCode}:\n{run.Measured.Output}");
        }

        var actual = await DigestsAsync(destination, workload.RepositoryNames.Select(r => (r, $"mirror/{r[(r.LastIndexOf('/') + 1)..]}")), workload);
        var wrong = expected.Where(e => e.Value is null || actual[e.Key] != e.Value).Select(e => $"{e.Key}: source {e.Value ?? "missing"}, destination {actual[e.Key] ?? "missing"}").ToList();
        if (wrong.Count > 0)
        {
            throw new InvalidOperationException($"after {run.Measured.Label} the destination does not match the source for {wrong.Count} of {expected.Count} images:\n{string.Join('\n', wrong)}\n{run.Measured.Output}");
        }

        return run;
    }

    /// <summary>The manifest digest of every image, asked of the registry itself (not through a proxy), keyed by source repository and tag.</summary>
    private static async Task<Dictionary<string, string?>> DigestsAsync(string host, IEnumerable<(string Source, string Here)> repositories, Workload workload)
    {
        using var registry = new ImageSeeder(host);
        var digests = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (sourceRepository, repository) in repositories)
        {
            foreach (var tag in workload.TagNames)
            {
                digests[$"{sourceRepository}:{tag}"] = await registry.ManifestDigestAsync(repository, tag);
            }
        }

        return digests;
    }

    private static void Report(Action<string> line, Workload workload, int images, List<Run> runs, string cacheSetUp)
    {
        static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);
        static string PerImage(RequestCounts counts, int images) => (counts.Total / (double)images).ToString("0.00", CultureInfo.InvariantCulture);

        line("");
        line($"## far network: {workload.Description}; {images} images");
        line("");
        line(string.Create(CultureInfo.InvariantCulture, $"Every request to the source waits {SourceDelay.TotalMilliseconds:0} ms in its proxy before it is forwarded, every request to the destination {DestinationDelay.TotalMilliseconds:0} ms. Each tool copies into a fresh destination: cold, then again with nothing to do. Every run was checked: the destination holds all {images} images with the source's manifest digests."));
        line("");
        line("| tool | run | wall s | CPU s | peak RSS MiB | source requests | destination requests | source req/image | destination req/image | load average before, after |");
        line("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            line(string.Create(CultureInfo.InvariantCulture, $"| {run.Tool} | {run.Name} | {run.Measured.Wall.TotalSeconds:0.00} | {run.Measured.CpuSeconds:0.00} | {Mib(run.Measured.PeakRssKiB)} | {run.Source.Total} ({run.Source}) | {run.Destination.Total} ({run.Destination}) | {PerImage(run.Source, images)} | {PerImage(run.Destination, images)} | {run.Load} |"));
        }

        line("");
        line("| skopeo / syncgateway | wall time | source requests | destination requests | peak RSS |");
        line("|---|---|---|---|---|");
        foreach (var name in new[] { "cold", "nothing to do" })
        {
            var ours = runs.Single(r => r.Tool == "syncgateway" && r.Name == name);
            var theirs = runs.Single(r => r.Tool == "skopeo" && r.Name == name);
            line(string.Create(CultureInfo.InvariantCulture, $"| {name} | {theirs.Measured.Wall / ours.Measured.Wall:0.0}x | {Ratio(theirs.Source.Total, ours.Source.Total)} | {Ratio(theirs.Destination.Total, ours.Destination.Total)} | {theirs.Measured.PeakRssKiB / (double)ours.Measured.PeakRssKiB:0.00}x |"));
        }

        line("");
        line($"skopeo's cache: {cacheSetUp}");
    }

    private static void ReportFloor(Action<string> line, List<Run> runs, WritePath.Measure floor, string load, RequestCounts requests)
    {
        var ours = runs.Single(r => r.Tool == "syncgateway" && r.Name == "cold").Measured.Wall;
        var theirs = runs.Single(r => r.Tool == "skopeo" && r.Name == "cold").Measured.Wall;
        line("");
        line(string.Create(CultureInfo.InvariantCulture, $"Write floor (the same run, a fresh destination behind the same {DestinationDelay.TotalMilliseconds:0} ms proxy): every blob once with its own upload session, mounts, every manifest; five blob streams at a time, {FloorRequestsInFlight} other requests; bytes from memory, read from the source before the clock, no process start: **{floor.Elapsed.TotalSeconds:0.00} s** ({requests.Total} requests: {requests}; load {load}). syncgateway cold is {ours / floor.Elapsed:0.00}x the floor; skopeo cold / floor = {theirs / floor.Elapsed:0.0}x, the most a tool that keeps to `--proc 5` could be faster than skopeo here."));
    }

    /// <summary>The machine's one-minute load average: other work on the cores shows in the wall times.</summary>
    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "-";

    private static string Ratio(int theirs, int ours) => ours == 0 ? "-" : (theirs / (double)ours).ToString("0.0", CultureInfo.InvariantCulture) + "x";
}
