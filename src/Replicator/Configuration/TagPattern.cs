using System.Text.RegularExpressions;

namespace SyncGateway.Replicator.Configuration;

/// <summary>A tag name, or a <c>/regex/</c>, that selects tags of a source repository.</summary>
public sealed class TagPattern
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private readonly Regex? _regex;

    private TagPattern(string text, string? name, Regex? regex)
    {
        Text = text;
        Name = name;
        _regex = regex;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>The exact tag, when the pattern is not a regex.</summary>
    public string? Name { get; }

    public bool IsRegex => _regex is not null;

    /// <summary>
    /// Parses <paramref name="text"/>. A <c>/regex/</c> matches anywhere in a tag when
    /// <paramref name="wholeTag"/> is false (image-syncer's meaning), else it must match the whole tag.
    /// </summary>
    public static bool TryParse(string text, bool wholeTag, out TagPattern? pattern, out string? error)
    {
        pattern = null;
        error = null;
        if (text.Length >= 2 && text[0] == '/' && text[^1] == '/')
        {
            var expression = text[1..^1];
            try
            {
                var regex = new Regex(wholeTag ? $"^(?:{expression})$" : expression, RegexOptions.CultureInvariant, MatchTimeout);
                pattern = new TagPattern(text, null, regex);
                return true;
            }
            catch (ArgumentException ex)
            {
                error = $"'{text}' is not a valid regular expression: {ex.Message}";
                return false;
            }
        }

        if (!Registry.Protocol.ImageReference.IsValidTag(text))
        {
            error = $"'{text}' is not a valid tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'); write a regex as /regex/";
            return false;
        }

        pattern = new TagPattern(text, text, null);
        return true;
    }

    public bool Matches(string tag) => _regex?.IsMatch(tag) ?? string.Equals(Name, tag, StringComparison.Ordinal);

    public override string ToString() => Text;
}
