using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SyncGateway.Testing;

namespace SyncGateway.Bench;

/// <summary>
/// The scale-out rehearsal (docs/scale-out.md): the whole-registry workload of
/// <see cref="ScaleBench"/> (10,000 repositories of one tiny image under <c>org/</c>, one rule
/// <c>org/**</c>), copied by <see cref="Shards"/> <c>sync --shard I/N</c> processes side by side,
/// as the pods of an Indexed Job run, each with records of its own, into one destination. Then an
/// unsharded <c>verify</c> must find the union complete, and the destination itself must hold every
/// image. For comparison, in the same run, one unsharded <c>sync</c> into a second fresh destination.
/// </summary>
internal static class RehearsalBench
{
    private const int Repositories = 10_000;
    private const int Shards = 4;

    public static async Task RunAsync(string syncgateway, Action<string> line)
    {
        var machineBefore = ScaleBench.Uptime();
        await using var source = await ScaleBench.StartRegistryAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var http = new HttpClient();
        var layer = ImageSeeder.GzipBytes(1024, 5);
        await seeder.PushImageAsync(ScaleBench.LayerHome, ScaleBench.Tag, [layer]);
        var expected = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var seeding = Stopwatch.StartNew();
        await ScaleBench.SeedAsync(seeder, http, Enumerable.Range(0, Repositories).Select(ScaleBench.RepositoryName), (ImageSeeder.DigestOf(layer), layer.Length), expected);
        Console.WriteLine($"seeded {Repositories} repositories in {seeding.Elapsed.TotalSeconds:0.0} s");
        var folder = Directory.CreateTempSubdirectory("syncgateway-bench-rehearsal-").FullName;
        try
        {
            await using var destination = await ScaleBench.StartRegistryAsync();
            var config = Path.Combine(folder, "sharded.yaml");
            await File.WriteAllTextAsync(config, ScaleBench.Config(source.Host, destination.Host));
            var load = FarBench.LoadAverage();
            var clock = Stopwatch.StartNew();
            var shards = await Task.WhenAll(Enumerable.Range(0, Shards).Select(i => Measured.RunAsync(
                $"syncgateway sync --shard {i}/{Shards}",
                syncgateway,
                ["sync", "--config", config, "--shard", $"{i}/{Shards}", "--records", Path.Combine(folder, "records-{shard}.db"), "--proc", "5"])));
            var wall = clock.Elapsed;
            var loadAfter = FarBench.LoadAverage();
            var copied = new int[Shards];
            for (var i = 0; i < Shards; i++)
            {
                copied[i] = Synced(shards[i], i);
            }

            if (copied.Sum() != Repositories)
            {
                throw new InvalidOperationException($"the shards copied {string.Join(" + ", copied)} = {copied.Sum()} images, not {Repositories}");
            }

            var verify = await Measured.RunAsync("syncgateway verify", syncgateway, ["verify", "--config", config]);
            var verified = ScaleBench.VerifyLine().Match(verify.Output);
            if (verify.ExitCode != 0 || verified.Groups["insync"].Value != $"{Repositories}")
            {
                throw new InvalidOperationException($"verify after the shards: exit {verify.ExitCode}\n{ScaleBench.Tail(verify.Output)}");
            }

            await ScaleBench.DestinationMatchesAsync(destination.Host, expected);

            await using var unshardedDestination = await ScaleBench.StartRegistryAsync();
            var unshardedConfig = Path.Combine(folder, "whole.yaml");
            await File.WriteAllTextAsync(unshardedConfig, ScaleBench.Config(source.Host, unshardedDestination.Host));
            var unshardedLoad = FarBench.LoadAverage();
            var whole = await Measured.RunAsync("syncgateway sync (one process)", syncgateway, ["sync", "--config", unshardedConfig, "--records", Path.Combine(folder, "records-whole.db"), "--proc", "5"]);
            if (whole.ExitCode != 0 || Synced(whole, null) != Repositories)
            {
                throw new InvalidOperationException($"the unsharded sync: exit {whole.ExitCode}\n{ScaleBench.Tail(whole.Output)}");
            }

            Report(line, shards, copied, wall, $"{load}, {loadAfter}", whole, unshardedLoad, verify, machineBefore);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>How many images a run's summary says it synced, checking it failed nothing.</summary>
    private static int Synced(Measured run, int? shard)
    {
        var summary = ScaleBench.SummaryLine().Match(run.Output);
        if (run.ExitCode != 0 || !summary.Success || summary.Groups["failed"].Value != "0" || summary.Groups["ungenerated"].Value != "0"
            || (shard is { } i && !run.Output.StartsWith($"Shard {i}/{Shards}:", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{run.Label}: exit {run.ExitCode}\n{ScaleBench.Tail(run.Output)}");
        }

        return int.Parse(summary.Groups["synced"].Value, CultureInfo.InvariantCulture);
    }

    private static void Report(Action<string> line, Measured[] shards, int[] copied, TimeSpan wall, string load, Measured whole, string wholeLoad, Measured verify, string machineBefore)
    {
        static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

        line("");
        line($"## scale-out rehearsal: {Repositories} repositories, {Shards} `sync --shard I/{Shards}` processes side by side");
        line("");
        line($"Registry storage: {(ScaleBench.StorageRoot == ScaleBench.Tmpfs ? $"tmpfs ({ScaleBench.Tmpfs})" : "the temporary folder")}; one source, one destination shared by the shards, records per shard. The same workload as the whole-registry benchmark (one rule `org/**`). The union was checked by an unsharded `syncgateway verify` ({verify.Wall.TotalSeconds:0.0} s, exit 0, {Repositories} in sync) and against the destination's own catalog and digests.");
        line("");
        line("| process | images copied | wall s | images/s | CPU s | peak RSS MiB |");
        line("|---|---|---|---|---|---|");
        for (var i = 0; i < shards.Length; i++)
        {
            line(string.Create(CultureInfo.InvariantCulture, $"| shard {i}/{Shards} | {copied[i]} | {shards[i].Wall.TotalSeconds:0.00} | {copied[i] / shards[i].Wall.TotalSeconds:0} | {shards[i].CpuSeconds:0.00} | {Mib(shards[i].PeakRssKiB)} |"));
        }

        line(string.Create(CultureInfo.InvariantCulture, $"| all {Shards} shards (first start to last exit) | {copied.Sum()} | {wall.TotalSeconds:0.00} | {copied.Sum() / wall.TotalSeconds:0} | {shards.Sum(s => s.CpuSeconds):0.00} | {Mib(shards.Sum(s => s.PeakRssKiB))} (sum) |"));
        line(string.Create(CultureInfo.InvariantCulture, $"| one unsharded process, same run | {Repositories} | {whole.Wall.TotalSeconds:0.00} | {Repositories / whole.Wall.TotalSeconds:0} | {whole.CpuSeconds:0.00} | {Mib(whole.PeakRssKiB)} |"));
        line("");
        line($"Load average before and after the shards: {load}; before the unsharded run: {wholeLoad}. Machine before: `{machineBefore}`. On one machine the shards share its cores with both registries, so this rehearses correctness and per-pod memory, not the speed-up of N machines.");
    }
}
