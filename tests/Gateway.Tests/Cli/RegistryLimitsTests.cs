using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using SyncGateway.Gateway.Tests.Proxy;
using SyncGateway.Testing;

namespace SyncGateway.Gateway.Tests.Cli;

/// <summary>Per-registry limits against real registries: AIMD under a 429 storm, and a bandwidth cap.</summary>
public sealed class RegistryLimitsTests
{
    [Fact]
    public async Task A429Storm_HalvesTheRequestsInFlight_AndTheLimitGrowsBackAfterIt()
    {
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        await using var storm = await FaultProxy.StartAsync(destination.BaseUri);
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var images = new List<SeededImage>();
        for (var i = 0; i < 24; i++)
        {
            images.Add(await seeder.PushImageAsync($"lib/busy{i:00}", "1", [ImageSeeder.RandomBytes(3000, 900 + i)]));
        }

        // For two seconds from the first request, the destination refuses everything with 429.
        var clock = new Stopwatch();
        var afterStorm = new InFlight();
        storm.Fault = async context =>
        {
            if (!clock.IsRunning)
            {
                clock.Start();
            }

            if (clock.Elapsed < TimeSpan.FromSeconds(2))
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await context.Response.WriteAsync("""{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");
                return true;
            }

            return false;
        };
        storm.Around = context => Task.FromResult<IDisposable?>(afterStorm.Enter(counts: clock.Elapsed > TimeSpan.FromSeconds(2)));
        var rules = string.Concat(images.Select(i => $"  - source: {source.Host}/{i.Repository}\n    destination: {storm.Host}/m/{i.Repository[4..]}\n"));
        var config = workspace.Write("storm.yaml", $"""
            registries:
              "{source.Host}": {"{"}insecure: true{"}"}
              "{storm.Host}": {"{"}insecure: true, maxRequests: 8{"}"}
            rules:
            {rules}
            """);

        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records, "--proc", "8", "--retries", "10");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Requests in flight to {storm.Host} now at most 4 (429 from the registry)", run.Error, StringComparison.Ordinal);
        Assert.Contains($"Requests in flight to {storm.Host} now at most 1 (429 from the registry)", run.Error, StringComparison.Ordinal);
        Assert.Contains($"Requests in flight to {storm.Host} now at most 8 (a window of successes)", run.Error, StringComparison.Ordinal);
        Assert.InRange(afterStorm.Peak, 1, 8);
        foreach (var image in images)
        {
            Assert.Equal(image.Digest, await reader.ManifestDigestAsync($"m/{image.Repository[4..]}", "1"));
        }
    }

    [Fact]
    public async Task ABandwidthCap_HoldsWithinTenPercent_OverTwentySeconds()
    {
        const long Size = 40L * 1024 * 1024;
        const double Cap = 2 * 1024 * 1024;
        await using var source = await RegistryProcess.StartAsync();
        await using var destination = await RegistryProcess.StartAsync();
        using var seeder = new ImageSeeder(source.Host);
        using var reader = new ImageSeeder(destination.Host);
        using var workspace = new Workspace();
        var layer = await seeder.PushGeneratedBlobAsync("lib/wide", Size, 910);
        var image = await seeder.PushImageWithLayersAsync("lib/wide", "1", [(layer, Size)]);
        var config = workspace.Write("wide.yaml", $"""
            registries:
              "{source.Host}": {"{"}insecure: true, bandwidth: 2MiB/s{"}"}
              "{destination.Host}": {"{"}insecure: true{"}"}
            rules:
              - source: {source.Host}/lib/wide
                destination: {destination.Host}/m/wide
            """);

        // Measured where the bytes arrive, the tool itself: sockets between here and the source
        // buffer megabytes, so the far side of the link sees the end too early.
        var clock = Stopwatch.StartNew();
        var run = await CliRun.InvokeAsync("sync", "--config", config, "--records", workspace.Records);
        var took = clock.Elapsed;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(image.Digest, await reader.ManifestDigestAsync("m/wide", "1"));
        var rate = Size / took.TotalSeconds;
        Assert.True(Math.Abs(rate - Cap) <= Cap * 0.10, $"{Size} bytes took {took.TotalSeconds:0.0} s: {rate / 1024 / 1024:0.00} MiB/s against a cap of 2 MiB/s");
    }
}
