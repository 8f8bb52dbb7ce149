using System.Text.Json.Nodes;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// <c>--os</c> / <c>--arch</c>, or a rule's <c>platforms: [linux/amd64, linux/arm64]</c>: keeps only
/// the matching entries of an index. This is an explicit opt-in that writes a new index, so the
/// destination's index digest differs from the source's.
/// </summary>
public sealed record PlatformFilter(IReadOnlyList<string> Os, IReadOnlyList<string> Architectures)
{
    /// <summary>No filter: every index is copied as it is.</summary>
    public static PlatformFilter None { get; } = new([], []);

    /// <summary>Exact platforms (<c>os/architecture</c>, optionally <c>/variant</c>); a platform without a variant takes every variant.</summary>
    public IReadOnlyList<Platform> Platforms { get; init; } = [];

    public bool IsEmpty => Os.Count == 0 && Architectures.Count == 0 && Platforms.Count == 0;

    public bool Matches(Platform? platform) =>
        platform is null
            ? IsEmpty
            : (Os.Count == 0 || Os.Contains(platform.Os, StringComparer.OrdinalIgnoreCase))
              && (Architectures.Count == 0 || Architectures.Contains(platform.Architecture, StringComparer.OrdinalIgnoreCase))
              && (Platforms.Count == 0 || Platforms.Any(p =>
                  string.Equals(p.Os, platform.Os, StringComparison.OrdinalIgnoreCase)
                  && string.Equals(p.Architecture, platform.Architecture, StringComparison.OrdinalIgnoreCase)
                  && (p.Variant is null || string.Equals(p.Variant, platform.Variant, StringComparison.OrdinalIgnoreCase))));

    /// <summary>Parses <c>linux/amd64</c> or <c>linux/arm/v7</c>; null when the text is not one.</summary>
    public static Platform? ParsePlatform(string text)
    {
        var parts = text.Split('/');
        return parts.Length is 2 or 3 && parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            ? new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null)
            : null;
    }

    public override string ToString() => Platforms.Count > 0
        ? $"platforms {string.Join(", ", Platforms)}"
        : $"--os {string.Join(",", Os)} --arch {string.Join(",", Architectures)}";

    /// <summary>The index with only the matching entries; the same manifest when all match.</summary>
    public Manifest Apply(Manifest index)
    {
        if (IsEmpty || !index.IsIndex || index.Children.All(c => Matches(c.Platform)))
        {
            return index;
        }

        if (!index.Children.Any(c => Matches(c.Platform)))
        {
            throw new InvalidManifestException($"no entry of the index matches {this}");
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
