using System.Diagnostics.CodeAnalysis;
using System.Text;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// The destination of a pattern rule, a repository name with placeholders that each source
/// repository fills in, e.g. <c>registry.example.com/ns/{path}</c>.
/// </summary>
/// <remarks>
/// Placeholders: <c>{path}</c> is the source repository's path below the pattern's fixed prefix,
/// <c>{name}</c> its last component, <c>{repo}</c> its whole path (without the host). They may
/// appear anywhere after the registry host, also inside a component (<c>ns/mirror-{name}</c>);
/// the template needs at least one, or every repository would go to the same place.
/// </remarks>
public sealed class DestinationTemplate
{
    private const string PathPlaceholder = "path";
    private const string NamePlaceholder = "name";
    private const string RepoPlaceholder = "repo";
    private const string Placeholders = "{path}, {name} or {repo}";

    // literal text and placeholder names, in order; a placeholder is stored with its braces
    private readonly IReadOnlyList<string> _parts;

    private DestinationTemplate(string text, string registry, IReadOnlyList<string> parts)
    {
        Text = text;
        Registry = registry;
        _parts = parts;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The destination registry as lower-case <c>host[:port]</c>.</summary>
    public string Registry { get; }

    /// <summary>Parses a template; the error names the unknown placeholder or the part that cannot be in a repository name.</summary>
    /// <param name="text">The template, e.g. <c>registry.example.com/ns/{path}</c>.</param>
    /// <param name="template">The template, when it parses.</param>
    /// <param name="error">Otherwise what is wrong.</param>
    public static bool TryParse(string text, [NotNullWhen(true)] out DestinationTemplate? template, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        template = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var host = slash < 0 ? text : text[..slash];
        if (slash < 0 || host.Contains('{', StringComparison.Ordinal) || !RepositoryNames.LooksLikeHost(host))
        {
            error = $"'{text}' must start with the destination registry host, without placeholders (e.g. registry.example.com/ns/{{path}})";
            return false;
        }

        var registry = host.ToLowerInvariant();
        if (!RepositoryNames.IsValidHost(registry))
        {
            error = $"'{text}': '{host}' is not a valid registry host";
            return false;
        }

        if (!TrySplit(text, text[(slash + 1)..], out var parts, out error))
        {
            return false;
        }

        if (!parts.Any(IsPlaceholder))
        {
            error = $"'{text}' has no placeholder, so every repository would go to the same destination; use {Placeholders}";
            return false;
        }

        var literal = string.Concat(parts.Where(p => !IsPlaceholder(p)));
        if (literal.Contains('@', StringComparison.Ordinal) || literal.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{text}' has a tag or digest: a destination template names repositories only (each tag keeps its name)";
            return false;
        }

        if (RepositoryNames.HasUpperCase(literal))
        {
            error = $"'{text}' has upper-case letters, which repository names cannot have";
            return false;
        }

        // one component in every placeholder: if that is no repository name, no source makes one
        var sample = string.Concat(parts.Select(p => IsPlaceholder(p) ? "x" : p));
        if (!ImageReference.IsValidRepository(sample))
        {
            error = $"'{text}' cannot make a valid repository name around its placeholders (components of {RepositoryNames.ComponentRule}, separated by '/')";
            return false;
        }

        template = new DestinationTemplate(text, registry, parts);
        return true;
    }

    /// <summary>The destination repository, <c>host/path</c>, for one source repository.</summary>
    /// <param name="sourceRepository">The whole source repository path without the host, e.g. <c>team/app/api</c>.</param>
    /// <param name="pathBelowPrefix">Its path below the pattern's fixed prefix (<see cref="RepositoryPattern.PathBelowPrefix"/>), e.g. <c>app/api</c>.</param>
    /// <param name="destination">The expanded repository name, when it is a valid one.</param>
    /// <param name="error">Otherwise why the expansion is not a valid repository name.</param>
    /// <exception cref="ArgumentException"><paramref name="pathBelowPrefix"/> is not a trailing part of <paramref name="sourceRepository"/>.</exception>
    public bool TryExpand(string sourceRepository, string pathBelowPrefix, [NotNullWhen(true)] out string? destination, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(sourceRepository);
        ArgumentNullException.ThrowIfNull(pathBelowPrefix);
        if (pathBelowPrefix.Length == 0 || !(sourceRepository == pathBelowPrefix || sourceRepository.EndsWith("/" + pathBelowPrefix, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"'{pathBelowPrefix}' is not the end of the repository '{sourceRepository}'", nameof(pathBelowPrefix));
        }

        var name = sourceRepository[(sourceRepository.LastIndexOf('/') + 1)..];
        var builder = new StringBuilder(Registry).Append('/');
        foreach (var part in _parts)
        {
            builder.Append(part switch
            {
                "{" + PathPlaceholder + "}" => pathBelowPrefix,
                "{" + NamePlaceholder + "}" => name,
                "{" + RepoPlaceholder + "}" => sourceRepository,
                _ => part,
            });
        }

        var expanded = builder.ToString();
        var repository = expanded[(Registry.Length + 1)..];
        if (!ImageReference.IsValidRepository(repository))
        {
            destination = null;
            error = repository.Length > ImageReference.MaxRepositoryLength
                ? $"'{Text}' for '{sourceRepository}' makes a repository name longer than {ImageReference.MaxRepositoryLength} characters: '{expanded}'"
                : $"'{Text}' for '{sourceRepository}' makes '{expanded}', which is not a valid repository name (components of {RepositoryNames.ComponentRule}, separated by '/')";
            return false;
        }

        destination = expanded;
        error = null;
        return true;
    }

    /// <summary>The destination repository for one source repository, as <see cref="TryExpand"/>.</summary>
    /// <exception cref="FormatException">The expansion is not a valid repository name; the message says why.</exception>
    public string Expand(string sourceRepository, string pathBelowPrefix) =>
        TryExpand(sourceRepository, pathBelowPrefix, out var destination, out var error) ? destination : throw new FormatException(error);

    /// <summary>The template as written.</summary>
    public override string ToString() => Text;

    private static bool IsPlaceholder(string part) => part.StartsWith('{');

    /// <summary>Splits the path of a template into literal text and <c>{placeholder}</c> parts.</summary>
    private static bool TrySplit(string text, string path, [NotNullWhen(true)] out List<string>? parts, [NotNullWhen(false)] out string? error)
    {
        parts = [];
        var at = 0;
        while (at < path.Length)
        {
            var open = path.IndexOfAny(['{', '}'], at);
            if (open < 0)
            {
                parts.Add(path[at..]);
                break;
            }

            var close = path.IndexOfAny(['{', '}'], open + 1);
            if (path[open] == '}' || close < 0 || path[close] == '{')
            {
                error = $"'{text}' has a '{path[open]}' without its pair: placeholders are written {Placeholders}";
                parts = null;
                return false;
            }

            if (open > at)
            {
                parts.Add(path[at..open]);
            }

            var placeholder = path[open..(close + 1)];
            if (placeholder is not ("{" + PathPlaceholder + "}" or "{" + NamePlaceholder + "}" or "{" + RepoPlaceholder + "}"))
            {
                error = $"'{text}': '{placeholder}' is not a placeholder (use {Placeholders})";
                parts = null;
                return false;
            }

            parts.Add(placeholder);
            at = close + 1;
        }

        error = null;
        return true;
    }
}
