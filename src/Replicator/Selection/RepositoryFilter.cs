using System.Diagnostics.CodeAnalysis;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// Which repositories found by a <see cref="RepositoryPattern"/> a rule takes
/// (<c>repositories.include</c> and <c>repositories.exclude</c>): a repository is taken when its
/// path below the pattern's fixed prefix matches any include entry (or there are none) and no
/// exclude entry.
/// </summary>
public sealed class RepositoryFilter
{
    private RepositoryFilter(IReadOnlyList<PathPattern> include, IReadOnlyList<PathPattern> exclude)
    {
        Include = include;
        Exclude = exclude;
    }

    /// <summary>A filter that takes every repository.</summary>
    public static RepositoryFilter All { get; } = new([], []);

    /// <summary>The include entries; empty takes every repository that no exclude entry drops.</summary>
    public IReadOnlyList<PathPattern> Include { get; }

    /// <summary>The exclude entries.</summary>
    public IReadOnlyList<PathPattern> Exclude { get; }

    /// <summary>
    /// Parses both lists (globs or <c>/regex/</c>, see <see cref="PathPattern"/>), reporting every
    /// entry that does not parse, each prefixed with its list and position (<c>include[1]: ...</c>).
    /// </summary>
    public static bool TryParse(
        IEnumerable<string>? include,
        IEnumerable<string>? exclude,
        [NotNullWhen(true)] out RepositoryFilter? filter,
        out IReadOnlyList<string> errors)
    {
        var found = new List<string>();
        var includePatterns = Parse("include", include, found);
        var excludePatterns = Parse("exclude", exclude, found);
        errors = found;
        filter = found.Count == 0 ? new RepositoryFilter(includePatterns, excludePatterns) : null;
        return filter is not null;
    }

    /// <summary>Whether the repository whose path below the fixed prefix is <paramref name="path"/> is taken.</summary>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return (Include.Count == 0 || Include.Any(p => p.Matches(path))) && !Exclude.Any(p => p.Matches(path));
    }

    /// <summary>The filter as the lists read, e.g. <c>app-*, /svc-.*/ except *-tmp</c>.</summary>
    public override string ToString()
    {
        var include = Include.Count == 0 ? "every repository" : string.Join(", ", Include);
        return Exclude.Count == 0 ? include : $"{include} except {string.Join(", ", Exclude)}";
    }

    private static PathPattern[] Parse(string list, IEnumerable<string>? entries, List<string> errors)
    {
        var patterns = new List<PathPattern>();
        foreach (var (entry, index) in (entries ?? []).Select((e, i) => (e, i)))
        {
            if (PathPattern.TryParse(entry, out var pattern, out var error))
            {
                patterns.Add(pattern);
            }
            else
            {
                errors.Add($"{list}[{index}]: {error}");
            }
        }

        return [.. patterns];
    }
}
