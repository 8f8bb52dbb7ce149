using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// A whole registry: N repositories of one tiny image each under <c>org/</c>, at three depths
/// (<c>org/team{k}/app{i}</c>, <c>org/team{k}/svc/app{i}</c>, <c>org/team{k}/svc/edge/app{i}</c>),
/// copied by one native rule <c>org/**</c> -> <c>mirror/{path}</c>, so syncgateway finds them by
/// walking every page of the source's catalog (1,000 entries a page). A few repositories next to
/// <c>org/</c> must not be taken. For each N, into a fresh destination with fresh records:
/// <c>sync --proc 5</c> cold, <c>verify</c>, then <c>sync</c> again with nothing to do. The source
/// is seeded once for the smallest N and topped up for the next.
/// </summary>
internal static partial class ScaleBench
{
    private const int SeedParallel = 16;
    private const int Teams = 10;
    internal const string Tag = "v0";

    /// <summary>Where the shared layer is pushed once, to be mounted into every other repository.</summary>
    internal const string LayerHome = "base/layer";

    /// <summary>tmpfs, for the registries' storage, when there is one.</summary>
    internal const string Tmpfs = "/dev/shm";

    /// <summary>The target: peak RSS at the largest N at most this many times the peak at the smallest.</summary>
    private const double RssTarget = 1.25;

    private static readonly int[] Sizes = [1_000, 10_000];

    /// <summary>Repositories the rule must leave alone: <c>org-archive</c> sorts among <c>org/</c>'s neighbours in the catalog.</summary>
    private static readonly string[] Outside = ["org-archive/app0", "orgs/app0", "other/org/app0"];

    internal static string? StorageRoot => Directory.Exists(Tmpfs) ? Tmpfs : Environment.GetEnvironmentVariable("TMPDIR");

    private sealed record Run(int Images, string Name, Measured Measured, string Load);

    /// <summary>
    /// A folder where the seeded sources are kept between runs (one copy per N), to measure
    /// syncgateway again without seeding 10,000 repositories each time; unset, every run seeds.
    /// </summary>
    internal const string KeepSourcesVariable = "SYNCGATEWAY_BENCH_SCALE_SOURCES";

    public static async Task RunAsync(string syncgateway, Action<string> line)
    {
        var machineBefore = Uptime();
        var keep = Environment.GetEnvironmentVariable(KeepSourcesVariable) is { Length: > 0 } kept ? Path.GetFullPath(kept) : null;
        var expected = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var folder = Directory.CreateTempSubdirectory("syncgateway-bench-scale-").FullName;
        var runs = new List<Run>();
        var seeding = new List<string>();
        RegistryProcess? source = null;
        try
        {
            for (var s = 0; s < Sizes.Length; s++)
            {
                var size = Sizes[s];
                var clock = Stopwatch.StartNew();
                var (current, ready) = keep is null
                    ? (source ?? await SeededSourceAsync(null), false)
                    : await KeptSourceAsync(keep, s, expected, source);
                source = current;
                if (!ready)
                {
                    var added = size - expected.Count;
                    await TopUpAsync(current, size, expected);
                    if (keep is not null)
                    {
                        await File.WriteAllLinesAsync(Path.Combine(keep, $"{size}", "digests.tsv"), expected.Select(e => $"{e.Key}\t{e.Value}"));
                    }

                    seeding.Add(string.Create(CultureInfo.InvariantCulture, $"{added} repositories in {clock.Elapsed.TotalSeconds:0.0} s ({added / clock.Elapsed.TotalSeconds:0} images/s)"));
                }
                else
                {
                    seeding.Add($"none (the {size} kept in {keep})");
                }

                Console.WriteLine($"seeded {seeding[^1]}, {size} in the source");

                await using var destination = await StartRegistryAsync();
                var config = Path.Combine(folder, $"syncgateway-{size}.yaml");
                await File.WriteAllTextAsync(config, Config(current.Host, destination.Host));
                string[] sync = ["sync", "--config", config, "--records", Path.Combine(folder, $"records-{size}.db"), "--proc", "5"];
                runs.Add(await CheckedAsync(size, "cold", syncgateway, sync, m => Summary(m, size, synced: size)));
                runs.Add(await CheckedAsync(size, "verify", syncgateway, ["verify", "--config", config], m => Verified(m, size)));
                await DestinationMatchesAsync(destination.Host, expected);
                runs.Add(await CheckedAsync(size, "nothing to do", syncgateway, sync, m => Summary(m, size, synced: 0)));
            }
        }
        finally
        {
            if (source is not null)
            {
                await source.DisposeAsync();
            }

            Directory.Delete(folder, recursive: true);
        }

        Report(line, runs, seeding, machineBefore, Uptime());
    }

    /// <summary>A source with the shared layer and the repositories outside <c>org/</c>, in <paramref name="storage"/> (null for the registry's own folder).</summary>
    private static async Task<RegistryProcess> SeededSourceAsync(string? storage)
    {
        var source = await StartRegistryAsync(storage);
        using var seeder = new ImageSeeder(source.Host);
        using var http = new HttpClient();
        var layer = ImageSeeder.GzipBytes(1024, 5);
        await seeder.PushImageAsync(LayerHome, Tag, [layer]);
        await SeedAsync(seeder, http, Outside, (ImageSeeder.DigestOf(layer), layer.Length), new ConcurrentDictionary<string, string>(StringComparer.Ordinal));
        return source;
    }

    /// <summary>Pushes repositories <c>expected.Count</c> to <paramref name="size"/> - 1 into the source.</summary>
    private static async Task TopUpAsync(RegistryProcess source, int size, ConcurrentDictionary<string, string> expected)
    {
        using var seeder = new ImageSeeder(source.Host);
        using var http = new HttpClient();
        var layer = ImageSeeder.GzipBytes(1024, 5);
        await SeedAsync(seeder, http, Enumerable.Range(expected.Count, size - expected.Count).Select(RepositoryName).ToList(), (ImageSeeder.DigestOf(layer), layer.Length), expected);
    }

    /// <summary>
    /// The source of <c>Sizes[index]</c> kept in <paramref name="keep"/>: served as it is when a
    /// finished seeding left its digests there (ready), else made from the smaller one (or from
    /// nothing) and returned to be topped up (not ready). Replaces <paramref name="previous"/>.
    /// </summary>
    private static async Task<(RegistryProcess Source, bool Ready)> KeptSourceAsync(string keep, int index, ConcurrentDictionary<string, string> expected, RegistryProcess? previous)
    {
        if (previous is not null)
        {
            await previous.DisposeAsync();
        }

        var home = Path.Combine(keep, $"{Sizes[index]}");
        var storage = Path.Combine(home, "storage");
        var digests = Path.Combine(home, "digests.tsv");
        expected.Clear();
        if (File.Exists(digests))
        {
            foreach (var fields in (await File.ReadAllLinesAsync(digests)).Select(l => l.Split('\t')))
            {
                expected[fields[0]] = fields[1];
            }

            return (await StartRegistryAsync(storage), true);
        }

        if (Directory.Exists(home))
        {
            Directory.Delete(home, recursive: true);
        }

        Directory.CreateDirectory(home);
        if (index == 0)
        {
            return (await SeededSourceAsync(storage), false);
        }

        // The smaller source is finished (it was served before this one): a copy of it is topped up.
        var smaller = Path.Combine(keep, $"{Sizes[index - 1]}");
        using (var copy = Process.Start("cp", ["-a", Path.Combine(smaller, "storage"), storage]))
        {
            await copy.WaitForExitAsync();
            if (copy.ExitCode != 0)
            {
                throw new InvalidOperationException($"cp -a {smaller}/storage {storage} exited {copy.ExitCode}");
            }
        }

        foreach (var fields in (await File.ReadAllLinesAsync(Path.Combine(smaller, "digests.tsv"))).Select(l => l.Split('\t')))
        {
            expected[fields[0]] = fields[1];
        }

        return (await StartRegistryAsync(storage), false);
    }

    /// <summary><c>org/team{k}/app{i}</c>, <c>org/team{k}/svc/app{i}</c> or <c>org/team{k}/svc/edge/app{i}</c>.</summary>
    internal static string RepositoryName(int i) => $"org/team{i % Teams}/{(i % 3) switch { 0 => "", 1 => "svc/", _ => "svc/edge/" }}app{i}";

    internal static string Config(string source, string destination) => $"""
        registries:
          "{source}":
            insecure: true
          "{destination}":
            insecure: true
        rules:
          - source: {source}/org/**
            destination: {destination}/mirror/{"{path}"}

        """;

    /// <summary>
    /// One image per repository, <see cref="SeedParallel"/> at a time: the shared layer mounted from
    /// <see cref="LayerHome"/> (one request), then a config of its own and the manifest.
    /// </summary>
    internal static async Task SeedAsync(ImageSeeder seeder, HttpClient http, IEnumerable<string> repositories, (string Digest, long Size) layer, ConcurrentDictionary<string, string> digests) =>
        await Parallel.ForEachAsync(repositories, new ParallelOptions { MaxDegreeOfParallelism = SeedParallel }, async (repository, _) =>
        {
            using (var mount = await http.PostAsync(new Uri($"http://{seeder.Host}/v2/{repository}/blobs/uploads/?mount={layer.Digest}&from={Uri.EscapeDataString(LayerHome)}"), null))
            {
                if (mount.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"seeding {repository}: mounting the shared layer answered {(int)mount.StatusCode}");
                }
            }

            digests[repository] = (await seeder.PushImageWithLayersAsync(repository, Tag, [layer])).Digest;
        });

    /// <summary>
    /// A registry whose storage is on tmpfs (<see cref="Tmpfs"/>) when the machine has one: on a
    /// shared ext4 disk, inode allocation in the kernel made the registries' own cost three times higher.
    /// </summary>
    internal static async Task<RegistryProcess> StartRegistryAsync(string? storage = null)
    {
        var temp = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", StorageRoot);
        try
        {
            return await RegistryProcess.StartAsync(storage: storage);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", temp);
        }
    }

    /// <summary>Runs and measures one command, failing loudly when it exits non-zero or its output says the wrong count.</summary>
    private static async Task<Run> CheckedAsync(int size, string name, string syncgateway, string[] arguments, Func<Measured, string?> wrong)
    {
        var load = FarBench.LoadAverage();
        var measured = await Measured.RunAsync($"syncgateway {string.Join(' ', arguments)} ({size} repositories, {name})", syncgateway, arguments);
        var problem = measured.ExitCode != 0 ? $"exited {measured.ExitCode}" : wrong(measured);
        if (problem is not null)
        {
            throw new InvalidOperationException($"{measured.Label}: {problem}\n{Tail(measured.Output)}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size} {name}: {measured.Wall.TotalSeconds:0.00} s, CPU {measured.CpuSeconds:0.00} s, peak RSS {measured.PeakRssKiB / 1024.0:0.0} MiB"));
        if (measured.Output.Split('\n').FirstOrDefault(l => l.StartsWith("Blobs:", StringComparison.Ordinal)) is { } blobs)
        {
            Console.WriteLine(blobs);
        }

        return new Run(size, name, measured, $"{load}, {FarBench.LoadAverage()}");
    }

    /// <summary>Null when the sync summary counts every image once and <paramref name="synced"/> of them copied, else what is wrong.</summary>
    private static string? Summary(Measured measured, int size, int synced)
    {
        var match = SummaryLine().Match(measured.Output);
        return !match.Success ? "no summary line"
            : match.Groups["synced"].Value != $"{synced}" || match.Groups["insync"].Value != $"{size - synced}" || match.Groups["images"].Value != $"{size}"
              || match.Groups["failed"].Value != "0" || match.Groups["ungenerated"].Value != "0" || match.Groups["conflicts"].Value != "0"
                ? $"expected {synced} synced and {size - synced} already in sync of {size} images: {match.Value}"
                : null;
    }

    private static string? Verified(Measured measured, int size)
    {
        var match = VerifyLine().Match(measured.Output);
        return match.Success && match.Groups["images"].Value == $"{size}" && match.Groups["insync"].Value == $"{size}"
            ? null
            : $"expected {size} images in sync: {(match.Success ? match.Value : "no report line")}";
    }

    /// <summary>
    /// Asked of the destination itself, not through syncgateway: its catalog lists exactly the
    /// expected <c>mirror/</c> repositories (nothing from outside <c>org/</c>), each tag with the
    /// digest the seeder pushed.
    /// </summary>
    internal static async Task DestinationMatchesAsync(string destination, ConcurrentDictionary<string, string> expected)
    {
        using var http = new HttpClient();
        var catalog = new List<string>();
        for (var next = "/v2/_catalog?n=1000"; next is not null;)
        {
            using var response = await http.GetAsync(new Uri(new Uri($"http://{destination}"), next));
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            catalog.AddRange(document.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!));
            next = response.Headers.TryGetValues("Link", out var links) ? NextPage().Match(links.First()).Groups[1].Value : null;
        }

        var wanted = expected.Keys.Select(r => "mirror/" + r["org/".Length..]).ToHashSet(StringComparer.Ordinal);
        var extra = catalog.Where(r => !wanted.Contains(r)).ToList();
        var absent = wanted.Except(catalog, StringComparer.Ordinal).ToList();
        if (extra.Count > 0 || absent.Count > 0)
        {
            throw new InvalidOperationException($"the destination catalog has {catalog.Count} repositories: {extra.Count} not expected ({string.Join(", ", extra.Take(10))}), {absent.Count} missing ({string.Join(", ", absent.Take(10))})");
        }

        using var registry = new ImageSeeder(destination);
        var wrong = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(expected, new ParallelOptions { MaxDegreeOfParallelism = SeedParallel }, async (image, _) =>
        {
            var digest = await registry.ManifestDigestAsync("mirror/" + image.Key["org/".Length..], Tag);
            if (digest != image.Value)
            {
                wrong.Add($"{image.Key}: source {image.Value}, destination {digest ?? "missing"}");
            }
        });
        if (!wrong.IsEmpty)
        {
            throw new InvalidOperationException($"{wrong.Count} of {expected.Count} images differ at the destination:\n{string.Join('\n', wrong.Take(20))}");
        }
    }

    private static void Report(Action<string> line, List<Run> runs, List<string> seeding, string machineBefore, string machineAfter)
    {
        static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

        line("");
        line($"## whole registry: one rule `org/**` -> `mirror/{{path}}`, 1 tag of a tiny image per repository");
        line("");
        line($"Registry storage: {(StorageRoot == Tmpfs ? $"tmpfs ({Tmpfs})" : "the temporary folder")}; records on disk. Seeded {string.Join("; then ", seeding)} ({SeedParallel} images in flight), plus {Outside.Length} repositories outside `org/`. Each N into a fresh destination with fresh records. Every cold run was checked by `syncgateway verify` (exit 0, every image in sync) and against the destination registry itself: its catalog holds exactly the N `mirror/` repositories, each tag with the digest seeded.");
        line("");
        line("| repositories | run | wall s | images/s | CPU s | peak RSS MiB | load average before, after |");
        line("|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            line(string.Create(CultureInfo.InvariantCulture, $"| {run.Images} | {run.Name} | {run.Measured.Wall.TotalSeconds:0.00} | {run.Images / run.Measured.Wall.TotalSeconds:0} | {run.Measured.CpuSeconds:0.00} | {Mib(run.Measured.PeakRssKiB)} | {run.Load} |"));
        }

        line("");
        foreach (var name in new[] { "cold", "verify", "nothing to do" })
        {
            var small = runs.Single(r => r.Images == Sizes[0] && r.Name == name).Measured.PeakRssKiB;
            var large = runs.Single(r => r.Images == Sizes[^1] && r.Name == name).Measured.PeakRssKiB;
            var ratio = large / (double)small;
            var target = name != "cold" ? "" : ratio <= RssTarget ? $" (target at most {RssTarget}x: met)" : $" (target at most {RssTarget}x: **not met**)";
            line(string.Create(CultureInfo.InvariantCulture, $"- peak RSS {name}, {Sizes[^1]} / {Sizes[0]}: {Mib(large)} / {Mib(small)} MiB = **{ratio:0.000}x**{target}"));
        }

        line("");
        line($"Machine: before `{machineBefore}`; after `{machineAfter}`.");
    }

    /// <summary>The load averages, as <c>uptime</c> prints them.</summary>
    internal static string Uptime() => File.Exists("/proc/loadavg") ? "load average: " + string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "-";

    internal static string Tail(string output) => output.Length <= 4000 ? output : "...\n" + output[^4000..];

    [GeneratedRegex(@"Synced (?<synced>\d+), already in sync (?<insync>\d+), failed (?<failed>\d+), failed to generate (?<ungenerated>\d+), conflicts (?<conflicts>\d+) \((?<images>\d+) images in [^)]*\)")]
    internal static partial Regex SummaryLine();

    [GeneratedRegex(@"Verified (?<images>\d+) images: in sync (?<insync>\d+)[^\n]*")]
    internal static partial Regex VerifyLine();

    [GeneratedRegex("<([^>]+)>")]
    private static partial Regex NextPage();
}
