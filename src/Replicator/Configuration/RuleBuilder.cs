namespace SyncGateway.Replicator.Configuration;

/// <summary>Turns a rule's source string, tag patterns and destination strings into a checked <see cref="SyncRule"/>.</summary>
internal static class RuleBuilder
{
    public static SyncRule? Build(
        ConfigReader reader,
        string key,
        string sourceText,
        IReadOnlyList<string>? extraInclude,
        IReadOnlyList<string>? exclude,
        IReadOnlyList<string> destinationTexts,
        bool wholeTagRegex,
        SyncDefaults defaults)
    {
        var errorsBefore = reader.ErrorCount;
        var source = ImageNames.ParseSource(sourceText, out var error);
        if (source is null)
        {
            reader.Error(key, error!);
            return null;
        }

        var include = ParsePatterns(reader, key, source.Tags.Concat(extraInclude ?? []), wholeTagRegex);
        var excluded = ParsePatterns(reader, key, exclude ?? [], wholeTagRegex);
        var selector = new TagSelector(include, excluded);

        var destinations = new List<RuleDestination>();
        if (destinationTexts.Count == 0)
        {
            reader.Error(key, "has no destination");
        }

        foreach (var text in destinationTexts)
        {
            var destinationText = text;
            if (string.IsNullOrWhiteSpace(destinationText))
            {
                if (string.IsNullOrEmpty(defaults.Registry) || string.IsNullOrEmpty(defaults.Namespace))
                {
                    reader.Error(key, "the destination is empty, which needs both --registry and --namespace (or DEFAULT_REGISTRY and DEFAULT_NAMESPACE)");
                    continue;
                }

                destinationText = ImageNames.DefaultDestination(source.Repository, defaults.Registry, defaults.Namespace);
            }

            var destination = ImageNames.ParseDestination(destinationText, out error);
            if (destination is null)
            {
                reader.Error(key, error!);
                continue;
            }

            if (destination.Tags.Count > 0)
            {
                var sourceCount = source.Digest is not null ? 1 : selector.NeedsListing ? -1 : selector.ExactTags.Count;
                if (sourceCount != destination.Tags.Count)
                {
                    reader.Error(key, sourceCount < 0
                        ? $"the destination '{destinationText}' names tags, which needs the source to name the same number of exact tags"
                        : $"the destination '{destinationText}' names {destination.Tags.Count} tag(s) but the source {sourceCount}");
                    continue;
                }
            }

            destinations.Add(destination);
        }

        if (reader.ErrorCount > errorsBefore)
        {
            return null;
        }

        return new SyncRule
        {
            Key = key,
            SourceText = sourceText,
            Source = source.Repository,
            Tags = selector,
            Digest = source.Digest,
            Destinations = destinations,
        };
    }

    public static List<TagPattern> ParsePatterns(ConfigReader reader, string key, IEnumerable<string> texts, bool wholeTag)
    {
        var patterns = new List<TagPattern>();
        foreach (var text in texts)
        {
            if (TagPattern.TryParse(text, wholeTag, out var pattern, out var error))
            {
                patterns.Add(pattern!);
            }
            else
            {
                reader.Error(key, error!);
            }
        }

        return patterns;
    }
}
