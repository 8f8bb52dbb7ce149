using System.Text;
using System.Text.Json;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Running;

namespace SyncGateway.Gateway.Cli;

/// <summary>The end-of-run report, and the image lists for <c>--output-*-images</c>.</summary>
internal static class SummaryWriter
{
    public static async Task WriteAsync(TextWriter writer, SyncSummary summary)
    {
        var stats = summary.Stats;
        var failed = summary.Failed.ToList();
        var text = new StringBuilder()
            .AppendLine($"Synced {summary.Synced}, already in sync {summary.AlreadyInSync}, failed {failed.Count}, failed to generate {summary.PlanFailures.Count} ({summary.Results.Count} images in {summary.Duration.TotalSeconds:0.0}s)")
            .AppendLine($"Blobs: copied {stats.BlobsCopied} ({Bytes.Format(stats.BytesCopied)}), mounted {stats.BlobsMounted} ({Bytes.Format(stats.BytesMounted)}), skipped {stats.BlobsSkipped} ({Bytes.Format(stats.BytesSkipped)}); manifests pushed {stats.ManifestsPushed}; retries {stats.Retries}");
        if (failed.Count > 0)
        {
            text.AppendLine("Failed images:");
            foreach (var result in failed)
            {
                text.AppendLine($"  {result.Task.Source} -> {result.Task.Destination}: {result.Error}");
            }
        }

        if (summary.PlanFailures.Count > 0)
        {
            text.AppendLine("Failed to generate:");
            foreach (var failure in summary.PlanFailures)
            {
                text.AppendLine($"  {failure.Rule}: {failure.Reason}");
            }
        }

        await writer.WriteAsync(text.ToString()).ConfigureAwait(false);
        await writer.FlushAsync().ConfigureAwait(false);
    }

    public static async Task WritePlanAsync(TextWriter writer, Plan plan)
    {
        var text = new StringBuilder().AppendLine($"Plan: {plan.Tasks.Count} images (dry run: nothing is copied)");
        foreach (var task in plan.Tasks)
        {
            text.AppendLine($"  {task.Source} -> {task.Destination}");
        }

        foreach (var failure in plan.Failures)
        {
            text.AppendLine($"  failed to generate {failure.Rule}: {failure.Reason}");
        }

        await writer.WriteAsync(text.ToString()).ConfigureAwait(false);
        await writer.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes results as an image-syncer images map (source -> destination), ready for <c>--images</c>.</summary>
    public static async Task WriteImagesAsync(string path, IEnumerable<TaskResult> results, string format)
    {
        var map = results.ToDictionary(r => r.Task.Source.ToString(), r => r.Task.Destination.ToString(), StringComparer.Ordinal);
        string content;
        if (format == "json")
        {
            content = JsonSerializer.Serialize(map, new JsonSerializerOptions { WriteIndented = true }) + "\n";
        }
        else
        {
            var yaml = new StringBuilder();
            foreach (var (source, destination) in map)
            {
                yaml.Append(JsonSerializer.Serialize(source)).Append(": ").AppendLine(JsonSerializer.Serialize(destination));
            }

            content = map.Count == 0 ? "{}\n" : yaml.ToString();
        }

        await File.WriteAllTextAsync(path, content).ConfigureAwait(false);
    }
}
