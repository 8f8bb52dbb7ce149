using System.Diagnostics;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>
/// One <c>syncgateway</c> invocation (or another program's) as a child process, with environment variables of its own
/// (a <c>PATH</c> with a test's credential helpers, a <c>DOCKER_CONFIG</c>) that no other test sees.
/// </summary>
internal static class CliProcess
{
    public static Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgramAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "syncgateway.dll"), .. args], environment, TimeSpan.FromMinutes(2));

    /// <summary>Any program as a child process (a native syncgateway, a publish), killed if it runs past <paramref name="limit"/>.</summary>
    public static async Task<CliRun> RunProgramAsync(string program, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end within {limit.TotalMinutes:0} minutes: {await error}");
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
