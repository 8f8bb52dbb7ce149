using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// The image strings of rules: <c>repo</c>, <c>repo:t1,t2</c>, <c>repo:/regex/</c> and
/// <c>repo@digest</c> for sources; <c>repo</c> or <c>repo:t1,t2</c> for destinations.
/// </summary>
internal static class ImageNames
{
    public sealed record ParsedSource(ImageReference Repository, IReadOnlyList<string> Tags, Digest? Digest);

    public static ParsedSource? ParseSource(string text, out string? error)
    {
        var rest = text.Trim();
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Digest.TryParse(rest[(at + 1)..], out var parsed))
            {
                error = $"'{rest[(at + 1)..]}' is not a valid digest (sha256:<64 hex> or sha512:<128 hex>)";
                return null;
            }

            digest = parsed;
            rest = rest[..at];
        }

        IReadOnlyList<string> tags = [];
        var regexStart = rest.IndexOf(":/", StringComparison.Ordinal);
        if (regexStart >= 0 && rest.Length > regexStart + 2 && rest.EndsWith('/'))
        {
            tags = [rest[(regexStart + 1)..]];
            rest = rest[..regexStart];
        }
        else if (SplitTags(rest, out var name) is { } listed)
        {
            tags = listed;
            rest = name;
        }

        if (digest is not null && tags.Count > 0)
        {
            error = "name either tags or a digest, not both";
            return null;
        }

        if (!ImageReference.TrySplitName(rest, out var registry, out var repository, out error))
        {
            return null;
        }

        return new ParsedSource(ImageReference.Create(registry, repository), tags, digest);
    }

    public static RuleDestination? ParseDestination(string text, out string? error)
    {
        var rest = text.Trim();
        if (rest.Contains('@', StringComparison.Ordinal))
        {
            error = $"'{text}': a destination cannot name a digest (the digest is the source's)";
            return null;
        }

        IReadOnlyList<string> tags = [];
        if (SplitTags(rest, out var name) is { } listed)
        {
            tags = listed;
            rest = name;
        }

        foreach (var tag in tags)
        {
            if (!ImageReference.IsValidTag(tag))
            {
                error = $"'{text}': '{tag}' is not a valid tag";
                return null;
            }
        }

        if (!ImageReference.TrySplitName(rest, out var registry, out var repository, out error))
        {
            error = $"'{text}': {error}";
            return null;
        }

        return new RuleDestination(ImageReference.Create(registry, repository), tags);
    }

    /// <summary>The destination image-syncer gives an empty value: <c>registry/namespace/last-component</c>.</summary>
    public static string DefaultDestination(ImageReference source, string registry, string @namespace) =>
        $"{registry.TrimEnd('/')}/{@namespace.Trim('/')}/{source.Repository[(source.Repository.LastIndexOf('/') + 1)..]}";

    private static List<string>? SplitTags(string text, out string name)
    {
        name = text;
        var lastSlash = text.LastIndexOf('/');
        var colon = text.LastIndexOf(':');
        if (colon <= lastSlash)
        {
            return null;
        }

        name = text[..colon];
        return text[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries).ToList();
    }
}
