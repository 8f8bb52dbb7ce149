using System.Diagnostics;
using System.Security.Cryptography;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>skopeo, an independent real client, to check what a registry serves.</summary>
internal static class Skopeo
{
    /// <summary>Copies an image with skopeo (no TLS verification on either side); extra arguments go first.</summary>
    public static async Task CopyAsync(string from, string to, params string[] extra)
    {
        var (exitCode, output) = await RunAsync(["copy", "--src-tls-verify=false", "--dest-tls-verify=false", .. extra, from, to]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"skopeo copy {from} {to} failed: {output}");
        }
    }

    /// <summary>Runs skopeo and returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("skopeo", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("skopeo did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The digest of the manifest skopeo reads for an image (sha256 of <c>inspect --raw</c>), optionally logged in with <c>user:password</c>.</summary>
    public static async Task<string> ManifestDigestAsync(string image, string? credentials = null)
    {
        string[] arguments = credentials is null
            ? ["inspect", "--raw", "--tls-verify=false", $"docker://{image}"]
            : ["inspect", "--raw", "--tls-verify=false", "--creds", credentials, $"docker://{image}"];
        var info = new ProcessStartInfo("skopeo", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The integration tests use skopeo as an independent client: install it with 'apt-get install skopeo'", ex);
        }

        using (process)
        {
            using var raw = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(raw);
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            await copy;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"skopeo inspect {image} failed: {await error}");
            }

            return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw.ToArray()));
        }
    }
}
