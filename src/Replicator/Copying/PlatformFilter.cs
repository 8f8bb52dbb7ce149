using System.Text.Json.Nodes;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// <c>--os</c> / <c>--arch</c>: keeps only the matching entries of an index. This is an explicit
/// opt-in that writes a new index, so the destination's index digest differs from the source's.
/// </summary>
public sealed record PlatformFilter(IReadOnlyList<string> Os, IReadOnlyList<string> Architectures)
{
    public bool IsEmpty => Os.Count == 0 && Architectures.Count == 0;

    public bool Matches(Platform? platform) =>
        platform is null
            ? IsEmpty
            : (Os.Count == 0 || Os.Contains(platform.Os, StringComparer.OrdinalIgnoreCase))
              && (Architectures.Count == 0 || Architectures.Contains(platform.Architecture, StringComparer.OrdinalIgnoreCase));

    /// <summary>The index with only the matching entries; the same manifest when all match.</summary>
    public Manifest Apply(Manifest index)
    {
        if (IsEmpty || !index.IsIndex || index.Children.All(c => Matches(c.Platform)))
        {
            return index;
        }

        if (!index.Children.Any(c => Matches(c.Platform)))
        {
            throw new InvalidManifestException($"no entry of the index matches --os {string.Join(",", Os)} --arch {string.Join(",", Architectures)}");
        }

        var root = JsonNode.Parse(index.Bytes.Span)!.AsObject();
        var kept = new JsonArray();
        foreach (var entry in root["manifests"]!.AsArray())
        {
            var platform = entry?["platform"];
            var candidate = platform is null ? null : new Platform(
                platform["os"]?.GetValue<string>() ?? string.Empty,
                platform["architecture"]?.GetValue<string>() ?? string.Empty,
                platform["variant"]?.GetValue<string>());
            if (Matches(candidate))
            {
                kept.Add(entry!.DeepClone());
            }
        }

        root["manifests"] = kept;
        var bytes = System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
        return Manifest.Parse(bytes, index.MediaType);
    }
}
