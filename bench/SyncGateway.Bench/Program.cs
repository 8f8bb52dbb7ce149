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
    Line("| workload | tool | run | wall s | CPU s | peak RSS MiB | exit |");
    Line("|---|---|---|---|---|---|---|");
}

var summaries = new List<string>();
foreach (var workload in selected)
{
    await using var source = await RegistryProcess.StartAsync();
    using (var seeder = new ImageSeeder(source.Host))
    {
        await workload.SeedAsync(seeder, parallel: 4);
    }

    var folder = Directory.CreateTempSubdirectory("syncgateway-bench-").FullName;
    void Row(Measured m, string tool, string run) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"| {workload.Name} | {tool} | {run} | {m.Wall.TotalSeconds:0.00} | {m.CpuSeconds:0.00} | {(m.PeakRssKiB == 0 ? "-" : (m.PeakRssKiB / 1024.0).ToString("0.0", CultureInfo.InvariantCulture))} | {m.ExitCode} |"));

    // skopeo runs each with a fresh, empty blob-info cache (as the far benchmark's do): as root its
    // cache is /var/lib/containers/cache whatever HOME says, and it grows across runs.
    var skopeoRuns = 0;
    Task<Measured> RunToolAsync(string label, string program, string[] arguments)
    {
        if (program != "skopeo")
        {
            return Measured.RunAsync(label, program, arguments);
        }

        var (wrapper, wrapped, environment, _) = FarBench.FreshCache(Path.Combine(folder, $"skopeo-{skopeoRuns++}"), ["skopeo", .. arguments]);
        return Measured.RunAsync(label, wrapper, wrapped, environment);
    }

    // Three runs with nothing to do; their median is what is compared.
    async Task<Measured> NothingToDoAsync(string tool, string program, string[] arguments, string run)
    {
        var runs = new List<Measured>();
        for (var i = 0; i < 3; i++)
        {
            var warm = await RunToolAsync($"{tool} {run}", program, arguments);
            Row(warm, tool, run);
            Fail(warm);
            runs.Add(warm);
        }

        return runs.OrderBy(r => r.Wall).ElementAt(1);
    }

    // syncgateway: cold, then again with nothing to do, then one image alone (start-up).
    Measured sgCold, sgWarm, sgOne;
    double copiedGiB;
    await using (var destination = await RegistryProcess.StartAsync())
    {
        var config = Path.Combine(folder, "image-syncer.json");
        await File.WriteAllTextAsync(config, Configs.ImageSyncer(source.Host, destination.Host, workload));
        var one = Path.Combine(folder, "image-syncer-one.json");
        await File.WriteAllTextAsync(one, Configs.ImageSyncer(source.Host, destination.Host, workload, repositories: 1));
        var records = Path.Combine(folder, "records.db");
        string[] arguments = ["sync", "--config", config, "--records", records, "--proc", "5"];
        sgCold = await Measured.RunAsync("syncgateway cold", syncgateway, arguments);
        Row(sgCold, "syncgateway", "cold");
        Fail(sgCold);
        var blobs = sgCold.Output.Split('\n').FirstOrDefault(l => l.StartsWith("Blobs:", StringComparison.Ordinal)) ?? string.Empty;
        copiedGiB = Bytes.CopiedGiB(blobs);
        sgWarm = await NothingToDoAsync("syncgateway", syncgateway, arguments, "nothing to do");
        sgOne = await NothingToDoAsync("syncgateway", syncgateway, ["sync", "--config", one, "--records", records, "--proc", "5"], "one image in sync");
        Console.WriteLine(blobs);
    }

    // skopeo sync into a fresh destination: cold, then again, then one image alone.
    Measured skCold, skWarm, skOne;
    await using (var destination = await RegistryProcess.StartAsync())
    {
        var config = Path.Combine(folder, "skopeo.yaml");
        await File.WriteAllTextAsync(config, Configs.Skopeo(source.Host, workload));
        var one = Path.Combine(folder, "skopeo-one.yaml");
        await File.WriteAllTextAsync(one, Configs.Skopeo(source.Host, workload, repositories: 1));
        string[] arguments = ["sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", config, $"{destination.Host}/mirror"];
        skCold = await RunToolAsync("skopeo cold", "skopeo", arguments);
        Row(skCold, "skopeo", "cold");
        Fail(skCold);
        skWarm = await NothingToDoAsync("skopeo", "skopeo", arguments, "nothing to do");
        skOne = await NothingToDoAsync("skopeo", "skopeo", ["sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", one, $"{destination.Host}/mirror"], "one image in sync");
    }

    // The destination's own write path: the same blobs and manifests pushed from memory, no source;
    // and the pipe limit: the same blobs streamed GET -> PUT by a minimal client, five at a time.
    {
        await using var destination = await RegistryProcess.StartAsync();
        var elapsed = await WritePath.MeasureAsync(source.Host, workload.RepositoryNames, destination.Host);
        Row(new Measured("write path", elapsed, 0, 0, string.Empty), "direct push from memory", "write path");
    }

    WritePath.Measure pipe;
    {
        await using var destination = await RegistryProcess.StartAsync();
        pipe = await WritePath.MeasureAsync(source.Host, workload.RepositoryNames, destination.Host, pipe: true);
        Row(new Measured("pipe", pipe.Elapsed, 0, 0, string.Empty, pipe.CpuSeconds), "minimal GET->PUT pipe, 5 streams", "pipe limit");
    }

    // The same pipe hashing every blob and checking its digest, as a sync does: the CPU floor of a checked copy.
    WritePath.Measure checkedPipe;
    {
        await using var destination = await RegistryProcess.StartAsync();
        checkedPipe = await WritePath.MeasureAsync(source.Host, workload.RepositoryNames, destination.Host, pipe: true, verify: true);
        Row(new Measured("checked pipe", checkedPipe.Elapsed, 0, 0, string.Empty, checkedPipe.CpuSeconds), "the same pipe, hashing every blob", "checked pipe");
    }

    var pipeGiB = pipe.BlobBytes / (double)(1L << 30);
    summaries.Add(string.Create(CultureInfo.InvariantCulture,
        $"| {workload.Name} | {skCold.Wall / sgCold.Wall:0.0}x | {sgCold.Wall / pipe.Elapsed:0.00}x | {(copiedGiB > 0 ? sgCold.CpuSeconds / copiedGiB : 0):0.00} s/GiB ({copiedGiB:0.000} GiB) | {(pipeGiB > 0 ? pipe.CpuSeconds / pipeGiB : 0):0.00} s/GiB ({pipeGiB:0.000} GiB) | {(pipeGiB > 0 ? checkedPipe.CpuSeconds / pipeGiB : 0):0.00} s/GiB | {sgWarm.Wall.TotalSeconds:0.00} s / {skWarm.Wall.TotalSeconds:0.00} s = {sgWarm.Wall / skWarm.Wall:0.00}x | {sgOne.Wall.TotalSeconds:0.00} s / {skOne.Wall.TotalSeconds:0.00} s = {sgOne.Wall / skOne.Wall:0.00}x |"));
    Directory.Delete(folder, recursive: true);
}

if (summaries.Count > 0)
{
    Line("");
    Line("| workload | cold: skopeo / syncgateway | cold: syncgateway / pipe limit | syncgateway CPU per GiB copied | pipe CPU per GiB | checked pipe CPU per GiB | nothing to do (medians of 3): syncgateway / skopeo | one image in sync (start-up): syncgateway / skopeo |");
    Line("|---|---|---|---|---|---|---|---|");
    foreach (var summary in summaries)
    {
        Line(summary);
    }
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
