using System.Globalization;
using System.Text;
using SyncGateway.Bench;
using SyncGateway.Testing;

// Generates workloads in one local registry and copies them to another, with syncgateway sync and
// with skopeo sync one after the other in the same run, each into a fresh destination registry;
// prints wall times, bytes and peak memory. Usage:
//   dotnet run -c Release --project bench/SyncGateway.Bench -- SYNCGATEWAY_BINARY [small] [layered] [large] [gateway] [fill] [far] [scale] [rehearsal]
// or, to fill a registry with one workload and stop (the demo uses it):
//   dotnet run -c Release --project bench/SyncGateway.Bench -- seed HOST:PORT WORKLOAD
if (args is ["seed", var host, var name])
{
    using var target = new ImageSeeder(host);
    var workload = Workload.Find(name) ?? throw new ArgumentException($"unknown workload {name}");
    await workload.SeedAsync(target, parallel: 4);
    Console.WriteLine($"seeded {workload.Description} into {host}");
    return 0;
}

if (args.Length < 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: SyncGateway.Bench <path to the published syncgateway> [small] [layered] [large] [gateway] [fill] [far] [scale] [rehearsal]");
    return 2;
}

var syncgateway = Path.GetFullPath(args[0]);
var names = args.Length > 1 ? args[1..] : ["small", "layered", "large", "gateway"];
var selected = names.Where(n => n is not ("gateway" or "fill" or "far" or "scale" or "rehearsal")).Select(n => Workload.Find(n) ?? throw new ArgumentException($"unknown workload {n}")).ToList();
var report = new StringBuilder();
void Line(string text)
{
    Console.WriteLine(text);
    report.AppendLine(text);
}

Line($"# SyncGateway benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, skopeo {await Versions.SkopeoAsync()}");
if (selected.Count > 0)
{
    Line("| workload | tool | run | wall s | peak RSS MiB | exit |");
    Line("|---|---|---|---|---|---|");
}

foreach (var workload in selected)
{
    await using var source = await RegistryProcess.StartAsync();
    using (var seeder = new ImageSeeder(source.Host))
    {
        await workload.SeedAsync(seeder, parallel: 4);
    }

    var folder = Directory.CreateTempSubdirectory("syncgateway-bench-").FullName;
    void Row(Measured m, string tool, string run) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"| {workload.Name} | {tool} | {run} | {m.Wall.TotalSeconds:0.00} | {(m.PeakRssKiB == 0 ? "-" : (m.PeakRssKiB / 1024.0).ToString("0.0", CultureInfo.InvariantCulture))} | {m.ExitCode} |"));

    // syncgateway: cold, then again with nothing to do.
    await using (var destination = await RegistryProcess.StartAsync())
    {
        var config = Path.Combine(folder, "image-syncer.json");
        await File.WriteAllTextAsync(config, Configs.ImageSyncer(source.Host, destination.Host, workload));
        var records = Path.Combine(folder, "records.db");
        string[] arguments = ["sync", "--config", config, "--records", records, "--proc", "5"];
        var cold = await Measured.RunAsync("syncgateway cold", syncgateway, arguments);
        Row(cold, "syncgateway", "cold");
        var warm = await Measured.RunAsync("syncgateway warm", syncgateway, arguments);
        Row(warm, "syncgateway", "nothing to do");
        Fail(cold, warm);
        Console.WriteLine(cold.Output.Split('\n').FirstOrDefault(l => l.StartsWith("Blobs:", StringComparison.Ordinal)));
    }

    // skopeo sync into a fresh destination: cold, then again.
    await using (var destination = await RegistryProcess.StartAsync())
    {
        var config = Path.Combine(folder, "skopeo.yaml");
        await File.WriteAllTextAsync(config, Configs.Skopeo(source.Host, workload));
        string[] arguments = ["sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", config, $"{destination.Host}/mirror"];
        var cold = await Measured.RunAsync("skopeo cold", "skopeo", arguments);
        Row(cold, "skopeo", "cold");
        var warm = await Measured.RunAsync("skopeo warm", "skopeo", arguments);
        Row(warm, "skopeo", "nothing to do");
        Fail(cold, warm);
    }

    // The destination's own write path: the same blobs and manifests pushed from memory, no source.
    {
        await using var destination = await RegistryProcess.StartAsync();
        var elapsed = await WritePath.MeasureAsync(source.Host, workload.RepositoryNames, destination.Host);
        Row(new Measured("write path", elapsed, 0, 0, string.Empty), "direct push from memory", "write path");
    }

    Directory.Delete(folder, recursive: true);
}

if (names.Contains("gateway"))
{
    Line("");
    Line("| what | measure | direct | through the gateway | difference |");
    Line("|---|---|---|---|---|");
    await GatewayBench.RunAsync(syncgateway, Line);
}

if (names.Contains("fill"))
{
    Line("");
    Line("| what | measure | source | clients | outcome |");
    Line("|---|---|---|---|---|");
    await FillBench.RunAsync(syncgateway, Line);
}

if (names.Contains("far"))
{
    await FarBench.RunAsync(syncgateway, Line);
}

if (names.Contains("scale"))
{
    await ScaleBench.RunAsync(syncgateway, Line);
}

if (names.Contains("rehearsal"))
{
    await RehearsalBench.RunAsync(syncgateway, Line);
}

var output = Path.Combine(AppContext.BaseDirectory, "bench-results.md");
await File.WriteAllTextAsync(output, report.ToString());
Console.WriteLine($"(written to {output})");
return 0;

static void Fail(params Measured[] runs)
{
    foreach (var run in runs.Where(r => r.ExitCode != 0))
    {
        Console.Error.WriteLine($"{run.Label} exited {run.ExitCode}:\n{run.Output}");
    }
}
