using System.Diagnostics;
using System.Text.RegularExpressions;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The docker CLI on PATH, talking to the engine of <see cref="DockerEngine"/> (DOCKER_HOST), with a
/// configuration folder of its own (no credential helpers, no logins of the machine's user).
/// </summary>
internal sealed partial class DockerCli(string configFolder)
{
    /// <summary>Runs docker and returns its exit code and everything it printed; gives up after <paramref name="seconds"/>.</summary>
    /// <param name="arguments">The docker command line.</param>
    /// <param name="seconds">How long it may take.</param>
    /// <param name="folder">The working folder, or the current one.</param>
    public async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, int seconds = 300, string? folder = null)
    {
        var info = new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder ?? Environment.CurrentDirectory };
        info.Environment["DOCKER_CONFIG"] = configFolder;
        info.Environment["DOCKER_HOST"] = DockerEngine.Endpoint.ToString();
        // the classic builder: it needs no buildx plugin, and a FROM scratch build needs nothing else
        info.Environment["DOCKER_BUILDKIT"] = "0";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("docker did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"docker {string.Join(' ', arguments)} took longer than {seconds} s: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs docker and fails with its output unless it exits with 0.</summary>
    /// <param name="arguments">The docker command line.</param>
    public async Task<string> CheckAsync(params string[] arguments)
    {
        var (exitCode, output) = await RunAsync(arguments);
        return exitCode == 0 ? output : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited with {exitCode}: {output}");
    }

    /// <summary>The manifest digest <c>docker push</c> printed (<c>TAG: digest: sha256:... size: N</c>).</summary>
    /// <param name="pushOutput">What docker push printed.</param>
    public static string PushedDigest(string pushOutput) =>
        PushedDigestLine().Match(pushOutput) is { Success: true } match ? match.Groups["digest"].Value : throw new InvalidOperationException($"docker push printed no digest: {pushOutput}");

    [GeneratedRegex(@"digest: (?<digest>sha256:[0-9a-f]{64}) size:")]
    private static partial Regex PushedDigestLine();
}
