using System.Diagnostics;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// One <c>syncgateway</c> invocation as a child process, with environment variables of its own
/// (a <c>PATH</c> with a test's credential helpers, a <c>DOCKER_CONFIG</c>) that no other test sees.
/// </summary>
internal static class CliProcess
{
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "syncgateway.dll");
        var info = new ProcessStartInfo("dotnet", [binary, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("syncgateway did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"syncgateway {string.Join(' ', args)} did not end within 2 minutes: {await error}");
        }

        return new CliRun(process.ExitCode, await output, await error);
    }

    /// <summary>Writes an executable shell script (a credential helper, a password command).</summary>
    public static string WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    /// <summary>PATH with <paramref name="folder"/> first.</summary>
    public static string PathWith(string folder) => folder + ":" + Environment.GetEnvironmentVariable("PATH");
}
