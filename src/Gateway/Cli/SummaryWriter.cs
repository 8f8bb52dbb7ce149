using System.Text;
using System.Text.Json;
using SyncGateway.Gateway.Json;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Engine;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Gateway.Cli;

/// <summary>The end-of-run report, and the image lists for <c>--output-*-images</c>.</summary>
internal static class SummaryWriter
{
    public static async Task WriteAsync(TextWriter writer, SyncSummary summary, Shard shard = default)
    {
        var stats = summary.Stats;
        var failed = summary.Failed.ToList();
        var conflicts = summary.Conflicts.ToList();
        var text = new StringBuilder();
        if (!shard.IsWhole)
        {
            text.AppendLine($"Shard {shard}: the source repositories whose hash falls to shard {shard.Index} of {shard.Count}");
        }

        text.AppendLine($"Synced {summary.Synced}, already in sync {summary.AlreadyInSync}, failed {summary.Count(SyncStatus.Failed)}, failed to generate {summary.PlanFailures.Count}, conflicts {summary.Count(SyncStatus.Conflict)} ({summary.Images} images in {summary.Duration.TotalSeconds:0.0}s)")
            .AppendLine($"Blobs: copied {stats.BlobsCopied} ({Bytes.Format(stats.BytesCopied)}), mounted {stats.BlobsMounted} ({Bytes.Format(stats.BytesMounted)}), skipped {stats.BlobsSkipped} ({Bytes.Format(stats.BytesSkipped)}); manifests pushed {stats.ManifestsPushed}; retries {stats.Retries}");
        if (stats.ReferrersCopied + stats.ReferrersPresent > 0)
        {
            text.AppendLine($"Referrers (signatures, SBOMs, attestations): copied {stats.ReferrersCopied}, present {stats.ReferrersPresent}");
        }

        var rewritten = summary.Results.Where(r => r.RewrittenFrom is not null).ToList();
        if (stats.IndexesRewritten > 0 || rewritten.Count > 0)
        {
            text.AppendLine($"Indexes rewritten for a rule's platforms (their digest changes): {Math.Max(stats.IndexesRewritten, rewritten.Count)}");
            foreach (var result in rewritten)
            {
                text.AppendLine($"  {result.Task.Source} -> {result.Task.Destination}: {result.RewrittenFrom} became {result.Digest}");
            }
        }

        foreach (var (rule, matched) in summary.PatternMatches)
        {
            text.AppendLine($"Pattern {rule}: {matched} repositories matched");
        }

        if (conflicts.Count > 0)
        {
            text.AppendLine("Conflicts (destination tags left alone):");
            foreach (var result in conflicts)
            {
                text.AppendLine($"  {result.Task.Source} -> {result.Task.Destination}: {result.Error}");
            }
        }

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

    public static async Task WritePlanAsync(TextWriter writer, Plan plan, Shard shard = default)
    {
        var text = new StringBuilder().AppendLine($"Plan: {plan.Tasks.Count} images{(shard.IsWhole ? string.Empty : $" of shard {shard}")} (dry run: nothing is copied)");
        foreach (var (rule, matched) in plan.PatternMatches)
        {
            text.AppendLine($"  pattern {rule}: {matched} repositories matched");
        }

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

    /// <summary>
    /// One <c>source destination digest</c> line per image (skopeo's <c>--digestfile</c>, for every
    /// image); a sharded run's file begins with a <c>#</c> line naming the shard.
    /// </summary>
    public static Task WriteDigestsAsync(string path, IEnumerable<TaskResult> results, Shard shard = default) =>
        WriteDigestsAsync(path, results.Where(r => r.Digest is not null).Select(r => (r.Task, r.Digest!.Value)), shard);

    /// <summary>The same file from any source of (task, digest) pairs (<c>sync</c> and <c>verify</c> write it alike).</summary>
    public static Task WriteDigestsAsync(string path, IEnumerable<(SyncTask Task, Digest Digest)> images, Shard shard = default) =>
        File.WriteAllLinesAsync(
            path,
            (shard.IsWhole ? [] : new[] { ShardComment(shard) }).Concat(images.Select(i => $"{i.Task.Source} {i.Task.Destination} {i.Digest}").Order(StringComparer.Ordinal)));

    /// <summary>
    /// Writes results as an image-syncer images map (source -> destination, or a list of them when
    /// a source went to several), ready for <c>--images</c>.
    /// </summary>
    public static Task WriteImagesAsync(string path, IEnumerable<TaskResult> results, string format, Shard shard = default) =>
        WriteMapAsync(path, results.Select(r => (r.Task.Source.ToString(), r.Task.Destination.ToString())), format, shard);

    /// <summary>
    /// The images that failed, and the rules that failed before any image was known (a refused
    /// login, a missing repository), each as its rule wrote it, so the file retries all of them.
    /// </summary>
    public static Task WriteFailedImagesAsync(string path, SyncSummary summary, string format, Shard shard = default) =>
        WriteMapAsync(
            path,
            summary.Failed.Select(r => (r.Task.Source.ToString(), r.Task.Destination.ToString()))
                .Concat(summary.PlanFailures
                    .Where(f => f.Source is not null)
                    .SelectMany(f => f.Source!.Destinations.Select(d => (f.Source.SourceText, d.ToString())))),
            format,
            shard);

    /// <summary>What a sharded run's YAML and digest files begin with (JSON has no comments: put <c>{shard}</c> in its path).</summary>
    public static string ShardComment(Shard shard) => $"# written by shard {shard} of syncgateway sync";

    private static async Task WriteMapAsync(string path, IEnumerable<(string Source, string Destination)> pairs, string format, Shard shard)
    {
        // Sorted, so the same run writes the same file whatever order the copies ended in.
        var map = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (source, destination) in pairs)
        {
            if (!map.TryGetValue(source, out var destinations))
            {
                map.Add(source, destinations = []);
            }

            if (!destinations.Contains(destination, StringComparer.Ordinal))
            {
                destinations.Add(destination);
            }
        }

        foreach (var destinations in map.Values)
        {
            destinations.Sort(StringComparer.Ordinal);
        }

        string content;
        if (format == "json")
        {
            var json = map.ToDictionary(e => e.Key, e => e.Value.Count == 1 ? (object?)e.Value[0] : e.Value, StringComparer.Ordinal);
            content = JsonSerializer.Serialize(json, GatewayJsonContext.Indented.DictionaryStringObject) + "\n";
        }
        else
        {
            var yaml = new StringBuilder();
            foreach (var (source, destinations) in map)
            {
                var value = destinations.Count == 1 ? JsonSerializer.Serialize(destinations[0], GatewayJsonContext.Default.String) : JsonSerializer.Serialize(destinations, GatewayJsonContext.Default.ListString);
                yaml.Append(JsonSerializer.Serialize(source, GatewayJsonContext.Default.String)).Append(": ").AppendLine(value);
            }

            content = (shard.IsWhole ? string.Empty : ShardComment(shard) + "\n") + (map.Count == 0 ? "{}\n" : yaml.ToString());
        }

        await File.WriteAllTextAsync(path, content).ConfigureAwait(false);
    }
}
