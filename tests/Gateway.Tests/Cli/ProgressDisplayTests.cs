using Microsoft.Extensions.Time.Testing;
using SyncGateway.Gateway.Cli;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Telemetry;
using SyncGateway.Replicator.Tasks;
using SyncGateway.Replicator.Engine;

namespace SyncGateway.Gateway.Tests.Cli;

public sealed class ProgressDisplayTests
{
    private static readonly SyncTask Task1 = new("r", ImageReference.Parse("a.example.com/x:1"), ImageReference.Parse("b.example.com/x:1"));

    [Fact]
    public async Task Live_RedrawsImagesFailuresAndBytes_AndClearsTheLineAtTheEnd()
    {
        var time = new FakeTimeProvider();
        var stats = new TransferStats();
        using var output = new StringWriter();
        var display = new ProgressDisplay(output, stats, time, live: true);
        display.Planned(3);
        display.Completed(new TaskResult(Task1, SyncStatus.Synced, null, null));
        display.Completed(new TaskResult(Task1, SyncStatus.Failed, null, "boom"));
        stats.Streamed(3 * 1024 * 1024);

        time.Advance(TimeSpan.FromMilliseconds(300));
        var line = output.ToString();
        await display.DisposeAsync();

        Assert.Contains("2/3 images, 1 failed, 3.0 MiB", line, StringComparison.Ordinal);
        Assert.EndsWith("\r", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotLive_WritesNothing()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter();
        await using (var display = new ProgressDisplay(output, new TransferStats(), time, live: false))
        {
            display.Planned(1);
            time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(string.Empty, output.ToString());
    }
}
