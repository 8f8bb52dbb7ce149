using System.Diagnostics;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Deploy;

/// <summary>
/// The shipped image, built once per test run from this working tree the way CI builds it
/// (<c>scripts/build-syncgateway-image.sh</c>: the repository's Dockerfile on a locally made base,
/// from the run's one native publish, <see cref="NativePublish"/>),
/// or the image <c>SYNCGATEWAY_TEST_IMAGE</c> names (say, one built with <c>docker build .</c> on the
/// official .NET images), used as it is.
/// </summary>
internal static class SyncGatewayImage
{
    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    public static Task<string> TagAsync() => Built.Value;

    private static async Task<string> BuildAsync()
    {
        await DockerEngine.RequireAsync();
        if (Environment.GetEnvironmentVariable("SYNCGATEWAY_TEST_IMAGE") is { Length: > 0 } given)
        {
            return given;
        }

        const string tag = "syncgateway:test";
        var info = new ProcessStartInfo("bash", ["scripts/build-syncgateway-image.sh", tag]) { WorkingDirectory = Repository.Root(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DOCKER_HOST"] = DockerEngine.Endpoint.ToString();
        info.Environment["SYNCGATEWAY_PUBLISHED"] = await NativePublish.FolderAsync();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0 ? tag : throw new InvalidOperationException($"scripts/build-syncgateway-image.sh exited with {process.ExitCode}: {await stdout}{await stderr}");
    }
}
