using System.Diagnostics.CodeAnalysis;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// A set of semantic versions written as a range expression (a rule's <c>semver</c> key), in a
/// documented subset of npm's (node-semver) syntax.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Comparators separated by spaces must all hold (<c>&gt;=1.2.0 &lt;2.0.0</c>); <c>||</c>
/// separates alternatives, of which one must hold. Space after an operator is allowed
/// (<c>&gt;= 1.2.0</c>).</item>
/// <item>Operators: <c>=</c> (or none), <c>!=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>,
/// <c>&lt;=</c>; <c>~1.2.3</c> = <c>&gt;=1.2.3 &lt;1.3.0</c> and <c>~1.2</c> = <c>&gt;=1.2.0 &lt;1.3.0</c>
/// (patch changes); <c>^1.2.3</c> = <c>&gt;=1.2.3 &lt;2.0.0</c>, <c>^0.2.3</c> =
/// <c>&gt;=0.2.3 &lt;0.3.0</c>, <c>^0.0.3</c> = <c>&gt;=0.0.3 &lt;0.0.4</c> (changes that keep
/// the leftmost non-zero part).</item>
/// <item>A version with missing or wildcard parts (<c>1.2</c>, <c>1.2.x</c>, <c>1.x</c>,
/// <c>*</c>, <c>X</c>) stands for all the versions it leaves open, as in npm: <c>1.2</c> and
/// <c>=1.2</c> are <c>&gt;=1.2.0 &lt;1.3.0</c>, <c>&lt;=1.2</c> is <c>&lt;1.3.0</c>, <c>&gt;1.2</c>
/// is <c>&gt;=1.3.0</c>, <c>!=1.2</c> excludes every 1.2.x. (As a tag, by contrast, <c>1.2</c> is
/// the single version 1.2.0: see <see cref="SemanticVersion"/>.) A number may not follow a
/// wildcard (<c>1.x.3</c>), and only a whole MAJOR.MINOR.PATCH may carry a prerelease.</item>
/// <item>Hyphen ranges: <c>1.2.3 - 2.3.4</c> = <c>&gt;=1.2.3 &lt;=2.3.4</c>; a partial upper end
/// takes all it leaves open (<c>1.2.3 - 2.3</c> = <c>&gt;=1.2.3 &lt;2.4.0</c>). A hyphen range
/// is a whole alternative.</item>
/// <item>Upper bounds that a partial version, <c>~</c> or <c>^</c> makes exclude the prereleases
/// of that bound too (<c>~1.2</c> does not take 1.3.0-rc.1).</item>
/// <item>Prereleases: a version with a prerelease satisfies an alternative only when the range
/// was made with <c>includePrerelease</c>, or (npm's rule) when a version written in that same
/// alternative has the same MAJOR.MINOR.PATCH and a prerelease: <c>&gt;=1.2.3-beta.1 &lt;1.3.0</c>
/// takes 1.2.3-beta.2 but not 1.2.4-alpha.</item>
/// <item>Build metadata in a range is allowed and ignored. Not supported: <c>~&gt;</c>,
/// <c>=&gt;</c>, an empty range or alternative (write <c>*</c>), and comparators that admit no
/// version (<c>&gt;*</c>, <c>&lt;*</c>, <c>!=*</c>, a hyphen range whose ends are reversed).</item>
/// </list>
/// </remarks>
public sealed class SemverRange
{
    private readonly IReadOnlyList<ComparatorSet> _alternatives;

    private SemverRange(string text, bool includePrerelease, IReadOnlyList<ComparatorSet> alternatives)
    {
        Text = text;
        IncludePrerelease = includePrerelease;
        _alternatives = alternatives;
    }

    /// <summary>The range as written.</summary>
    public string Text { get; }

    /// <summary>Whether any prerelease inside the bounds satisfies the range, not only those named in it.</summary>
    public bool IncludePrerelease { get; }

    /// <summary>
    /// The range as plain comparators, e.g. <c>&gt;=1.2.0 &lt;1.3.0-0</c> for <c>~1.2</c>
    /// (<c>-0</c> marks the lowest prerelease), alternatives joined by <c> || </c>.
    /// </summary>
    public string Comparators => string.Join(" || ", _alternatives);

    /// <summary>Parses a range expression in the syntax described on the type.</summary>
    /// <param name="text">The expression, e.g. <c>&gt;=1.2.0 &lt;2.0.0 || ^3.1</c>.</param>
    /// <param name="includePrerelease">Whether prereleases within the bounds satisfy it whatever the range names.</param>
    /// <param name="range">The range, when the text parses.</param>
    /// <param name="error">Otherwise what is wrong, naming the part of the text at fault.</param>
    public static bool TryParse(
        string text,
        bool includePrerelease,
        [NotNullWhen(true)] out SemverRange? range,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        range = null;
        if (!SemverRangeParser.TryParse(text, includePrerelease, out var alternatives, out error))
        {
            return false;
        }

        range = new SemverRange(text, includePrerelease, alternatives);
        return true;
    }

    /// <summary>Whether <paramref name="version"/> is in the range (build metadata ignored).</summary>
    public bool Satisfies(SemanticVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return _alternatives.Any(a => a.Satisfies(version, IncludePrerelease));
    }

    /// <summary>Whether <paramref name="tag"/> parses as a semantic version that is in the range.</summary>
    public bool Satisfies(string tag) => SemanticVersion.TryParse(tag, out var version) && Satisfies(version);

    /// <summary>The range as written.</summary>
    public override string ToString() => Text;
}
