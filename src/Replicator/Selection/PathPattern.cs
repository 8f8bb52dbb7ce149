using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// One entry of a pattern rule's <c>repositories.include</c> or <c>repositories.exclude</c>: a
/// glob or a <c>/regex/</c>, matched against the whole path below the pattern's fixed prefix
/// (<c>app/api</c> for <c>team/app/api</c> under <c>host/team/**</c>).
/// </summary>
/// <remarks>
/// In a glob, <c>*</c> matches any characters within one path component (none too:
/// <c>app-*</c> matches <c>app-web</c>), and <c>**</c>, which must be a whole component, matches
/// one or more whole components, as in <see cref="RepositoryPattern"/> (<c>team/**</c> matches
/// <c>team/x</c> and <c>team/x/y</c>, not <c>team</c>; <c>**/app</c> does not match <c>app</c>).
/// Other characters match themselves; only those of repository names may appear. A glob covers
/// the whole path; a <c>/regex/</c> matches anywhere in it unless it anchors itself, as in
/// ARCHITECTURE.md's <c>/^svc-/</c> (paths starting with <c>svc-</c>).
/// </remarks>
public sealed partial class PathPattern
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private readonly Regex _regex;

    private PathPattern(string text, Regex regex)
    {
        Text = text;
        _regex = regex;
    }

    /// <summary>The entry as written.</summary>
    public string Text { get; }

    /// <summary>Whether the entry was written as a <c>/regex/</c>.</summary>
    public bool IsRegex => Text.Length >= 2 && Text[0] == '/' && Text[^1] == '/';

    /// <summary>Parses a glob or a <c>/regex/</c>.</summary>
    /// <param name="text">The entry, e.g. <c>app-*</c>, <c>team/**</c> or <c>/svc-.*/</c>.</param>
    /// <param name="pattern">The pattern, when it parses.</param>
    /// <param name="error">Otherwise what is wrong, naming the entry.</param>
    public static bool TryParse(string text, [NotNullWhen(true)] out PathPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        pattern = null;
        if (text.Length >= 2 && text[0] == '/' && text[^1] == '/')
        {
            try
            {
                pattern = new PathPattern(text, new Regex(text[1..^1], RegexOptions.CultureInvariant, MatchTimeout));
                error = null;
                return true;
            }
            catch (ArgumentException ex)
            {
                error = $"'{text}' is not a valid regular expression: {ex.Message}";
                return false;
            }
        }

        if (!TryTranslateGlob(text, out var expression, out error))
        {
            return false;
        }

        pattern = new PathPattern(text, new Regex(expression, RegexOptions.CultureInvariant, MatchTimeout));
        return true;
    }

    /// <summary>Whether <paramref name="path"/>, a path below a pattern's fixed prefix, matches the entry.</summary>
    public bool Matches(string path) => _regex.IsMatch(path);

    /// <summary>The entry as written.</summary>
    public override string ToString() => Text;

    private static bool TryTranslateGlob(string glob, [NotNullWhen(true)] out string? expression, [NotNullWhen(false)] out string? error)
    {
        expression = null;
        if (glob.Length == 0)
        {
            error = "an empty entry matches no repository; write * or ** for every one";
            return false;
        }

        if (RepositoryNames.HasUpperCase(glob))
        {
            error = $"'{glob}' has upper-case letters, which repository names cannot have";
            return false;
        }

        var stray = GlobCharacters().Match(glob);
        if (stray.Success)
        {
            error = $"'{glob}': '{stray.Value}' cannot appear in a repository name (write a regex as /regex/)";
            return false;
        }

        var components = glob.Split('/');
        if (components.Any(c => c.Length == 0))
        {
            error = $"'{glob}' has an empty path component (a '/' at an end or two in a row)";
            return false;
        }

        var builder = new StringBuilder("^");
        for (var i = 0; i < components.Length; i++)
        {
            var component = components[i];
            if (component != "**" && component.Contains("**", StringComparison.Ordinal))
            {
                error = $"'{glob}': '{component}' is not supported: '**' is a whole path component (any depth), '*' matches within one";
                return false;
            }

            builder.Append(i == 0 ? string.Empty : "/");
            builder.Append(component == "**" ? "[^/]+(?:/[^/]+)*" : Regex.Escape(component).Replace(@"\*", "[^/]*", StringComparison.Ordinal));
        }

        expression = builder.Append(@"\z").ToString();
        error = null;
        return true;
    }

    [GeneratedRegex(@"[^a-z0-9._/*-]", RegexOptions.CultureInvariant)]
    private static partial Regex GlobCharacters();
}
