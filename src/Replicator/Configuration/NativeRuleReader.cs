using System.Text.Json.Nodes;
using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Copying;
using SyncGateway.Replicator.Selection;

namespace SyncGateway.Replicator.Configuration;

/// <summary>
/// The native file's <c>rules</c>: a source repository, or a pattern (<c>host/team/**</c>) whose
/// repositories are discovered, with destinations (templates for a pattern), tag selection
/// (names and <c>/regex/</c>, <c>semver</c>, <c>latest</c>), <c>immutableTags</c> and <c>overwrite</c>.
/// </summary>
internal static class NativeRuleReader
{
    private static readonly string[] Keys =
        ["source", "destination", "destinations", "tags", "excludeTags", "repositories", "semver", "latest", "immutableTags", "overwrite", "platforms", "referrers", "artifactTypes"];

    public static (List<SyncRule> Rules, List<PatternRule> Patterns) Read(ConfigReader reader, JsonNode? node, SyncDefaults defaults)
    {
        var rules = new List<SyncRule>();
        var patterns = new List<PatternRule>();
        if (node is null)
        {
            reader.Error("rules", "is required: a list of rules with source and destination(s)");
            return (rules, patterns);
        }

        if (node is not JsonArray array)
        {
            reader.Error("rules", "must be a list");
            return (rules, patterns);
        }

        for (var i = 0; i < array.Count; i++)
        {
            var key = $"rules[{i}]";
            var entry = reader.Object(array[i], key);
            if (entry is null)
            {
                reader.Error(key, "must be a map with source and destination(s)");
                continue;
            }

            reader.AllowOnly(entry, key, Keys);
            var source = reader.String(entry, "source", key, required: true);
            var destinations = Destinations(reader, entry, key);
            if (source is null || destinations is null)
            {
                continue;
            }

            var selection = ReadSelection(reader, entry, key);
            if (RepositoryPattern.IsPattern(source))
            {
                if (ReadPattern(reader, entry, $"{key} ({source})", source, destinations, selection) is { } pattern)
                {
                    patterns.Add(pattern);
                }

                continue;
            }

            if (entry["repositories"] is not null)
            {
                reader.Error(ConfigReader.Join(key, "repositories"), "selects repositories of a pattern source (host/team/* or host/team/**); this source names one repository");
            }

            var templated = destinations.Where(d => d.Contains('{', StringComparison.Ordinal)).ToList();
            foreach (var destination in templated)
            {
                reader.Error($"{key} ({source})", $"the destination '{destination}' has a placeholder ({{path}}, {{name}}, {{repo}}), which needs a pattern source (host/team/* or host/team/**)");
            }

            if (templated.Count > 0)
            {
                continue;
            }

            var rule = RuleBuilder.Build(reader, $"{key} ({source})", source, selection.Tags, selection.ExcludeTags, destinations, wholeTagRegex: true, defaults);
            if (rule is not null)
            {
                rules.Add(rule with
                {
                    Tags = rule.Tags with { Semver = selection.Semver, Latest = selection.Latest },
                    ImmutableTags = selection.Immutable,
                    Overwrite = selection.Overwrite,
                    Platforms = selection.Platforms,
                    Referrers = selection.Referrers,
                    ArtifactTypes = selection.ArtifactTypes,
                });
            }
        }

        return (rules, patterns);
    }

    private static IReadOnlyList<string>? Destinations(ConfigReader reader, JsonObject entry, string key)
    {
        var destination = reader.String(entry, "destination", key);
        var destinations = reader.StringList(entry, "destinations", key);
        if (destination is not null && destinations is not null)
        {
            reader.Error(key, "give destination or destinations, not both");
            return null;
        }

        if (destination is null && destinations is null)
        {
            reader.Error(key, "needs destination or destinations");
            return null;
        }

        return destinations ?? [destination!];
    }

    private static Selection ReadSelection(ConfigReader reader, JsonObject entry, string key)
    {
        SemverRange? semver = null;
        if (reader.String(entry, "semver", key) is { } range)
        {
            if (SemverRange.TryParse(range, includePrerelease: false, out var parsed, out var error))
            {
                semver = parsed;
            }
            else
            {
                reader.Error(ConfigReader.Join(key, "semver"), error);
            }
        }

        return new Selection(
            reader.StringList(entry, "tags", key),
            reader.StringList(entry, "excludeTags", key),
            semver,
            reader.Int(entry, "latest", key, 1, 100_000),
            RuleBuilder.ParsePatterns(reader, ConfigReader.Join(key, "immutableTags"), reader.StringList(entry, "immutableTags", key) ?? [], wholeTag: true),
            reader.Bool(entry, "overwrite", key) ?? true,
            ReadPlatforms(reader, entry, key),
            reader.Bool(entry, "referrers", key) ?? true,
            reader.StringList(entry, "artifactTypes", key) ?? []);
    }

    private static PlatformFilter ReadPlatforms(ConfigReader reader, JsonObject entry, string key)
    {
        var platforms = new List<Platform>();
        foreach (var text in reader.StringList(entry, "platforms", key) ?? [])
        {
            if (PlatformFilter.ParsePlatform(text) is { } platform)
            {
                platforms.Add(platform);
            }
            else
            {
                reader.Error(ConfigReader.Join(key, "platforms"), $"'{text}' is not a platform: give os/architecture, optionally /variant (linux/amd64, linux/arm64, linux/arm/v7)");
            }
        }

        return platforms.Count == 0 ? PlatformFilter.None : PlatformFilter.None with { Platforms = platforms };
    }

    private static PatternRule? ReadPattern(ConfigReader reader, JsonObject entry, string key, string source, IReadOnlyList<string> destinations, Selection selection)
    {
        var errors = reader.ErrorCount;
        if (!RepositoryPattern.TryParse(source, out var pattern, out var error))
        {
            reader.Error(key, error);
        }

        var repositories = RepositoryFilter.All;
        if (reader.Object(entry["repositories"], ConfigReader.Join(key, "repositories")) is { } filter)
        {
            reader.AllowOnly(filter, ConfigReader.Join(key, "repositories"), "include", "exclude");
            if (RepositoryFilter.TryParse(reader.StringList(filter, "include", key), reader.StringList(filter, "exclude", key), out var parsed, out var problems))
            {
                repositories = parsed;
            }

            foreach (var problem in problems)
            {
                reader.Error(ConfigReader.Join(key, "repositories"), problem);
            }
        }

        var templates = new List<DestinationTemplate>();
        foreach (var text in destinations)
        {
            if (DestinationTemplate.TryParse(text, out var template, out var problem))
            {
                templates.Add(template);
            }
            else
            {
                reader.Error(key, problem);
            }
        }

        var tags = RuleBuilder.ParsePatterns(reader, key, selection.Tags ?? [], wholeTag: true);
        var exclude = RuleBuilder.ParsePatterns(reader, key, selection.ExcludeTags ?? [], wholeTag: true);
        if (reader.ErrorCount > errors)
        {
            return null;
        }

        return new PatternRule
        {
            Key = key,
            Pattern = pattern!,
            Repositories = repositories,
            Templates = templates,
            Tags = new TagSelector(tags, exclude) { Semver = selection.Semver, Latest = selection.Latest },
            ImmutableTags = selection.Immutable,
            Overwrite = selection.Overwrite,
            Platforms = selection.Platforms,
            Referrers = selection.Referrers,
            ArtifactTypes = selection.ArtifactTypes,
        };
    }

    private sealed record Selection(
        IReadOnlyList<string>? Tags,
        IReadOnlyList<string>? ExcludeTags,
        SemverRange? Semver,
        int? Latest,
        IReadOnlyList<TagPattern> Immutable,
        bool Overwrite,
        PlatformFilter Platforms,
        bool Referrers,
        IReadOnlyList<string> ArtifactTypes);
}
