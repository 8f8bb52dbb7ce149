using System.Diagnostics;

namespace SyncGateway.Bench;

internal static class Versions
{
    public static async Task<string> SkopeoAsync()
    {
        var info = new ProcessStartInfo("skopeo", ["--version"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Trim().Replace("skopeo version ", string.Empty, StringComparison.Ordinal);
    }
}
