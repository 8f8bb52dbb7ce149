using System.Diagnostics;
using System.Globalization;

namespace SyncGateway.Bench;

/// <summary>One measured command: wall time, peak resident memory and CPU time (user + system, GNU time) and exit code.</summary>
internal sealed record Measured(string Label, TimeSpan Wall, long PeakRssKiB, int ExitCode, string Output, double CpuSeconds = 0)
{
    public static async Task<Measured> RunAsync(string label, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var report = Path.GetTempFileName();
        var info = new ProcessStartInfo("/usr/bin/time", new[] { "-f", "%e %M %U %S", "-o", report, program }.Concat(arguments))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        clock.Stop();
        var fields = (await File.ReadAllTextAsync(report)).Trim().Split('\n')[^1].Split(' ');
        File.Delete(report);
        var rss = long.Parse(fields[1], CultureInfo.InvariantCulture);
        var cpu = double.Parse(fields[2], CultureInfo.InvariantCulture) + double.Parse(fields[3], CultureInfo.InvariantCulture);
        return new Measured(label, clock.Elapsed, rss, process.ExitCode, await stdout + await stderr, cpu);
    }
}
