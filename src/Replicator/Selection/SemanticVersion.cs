using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// A tag read as a semantic version (semver 2.0: <c>MAJOR.MINOR.PATCH[-prerelease][+build]</c>),
/// ordered by semver precedence.
/// </summary>
/// <remarks>
/// <para>
/// Container tags are looser than semver, so <see cref="TryParse"/> tolerates two spellings that
/// semver itself refuses: a leading lower-case <c>v</c> (<c>v1.2.3</c>), and a missing MINOR or
/// PATCH, read as 0 (<c>1.2</c> is 1.2.0 and <c>1</c> is 1.0.0, so <c>1.25-alpine</c> is the
/// prerelease 1.25.0-alpine). Everything else follows the spec: numbers and numeric prerelease
/// identifiers have no leading zeros (<c>01.2.3</c> does not parse), there are at most three
/// numbers (<c>1.2.3.4</c> does not parse), and identifiers are non-empty runs of
/// <c>[0-9A-Za-z-]</c>. Numbers above <see cref="long.MaxValue"/> do not parse.
/// </para>
/// <para>
/// Comparison is precedence (semver §11), which ignores build metadata and the spelling, so
/// <c>1.2.3</c>, <c>v1.2.3</c> and <c>1.2.3+b7</c> compare equal. Equality
/// (<see cref="Equals(SemanticVersion?)"/>) is the same relation: two tags with equal precedence
/// are equal versions; <see cref="Tag"/> tells them apart.
/// </para>
/// </remarks>
public sealed partial class SemanticVersion : IComparable<SemanticVersion>, IEquatable<SemanticVersion>
{
    private SemanticVersion(string tag, long major, long minor, long patch, IReadOnlyList<string> prerelease, IReadOnlyList<string> build)
    {
        Tag = tag;
        Major = major;
        Minor = minor;
        Patch = patch;
        Prerelease = prerelease;
        Build = build;
    }

    /// <summary>The text as it was parsed, e.g. <c>v1.2</c>.</summary>
    public string Tag { get; }

    /// <summary>The MAJOR number.</summary>
    public long Major { get; }

    /// <summary>The MINOR number (0 when the tag has none).</summary>
    public long Minor { get; }

    /// <summary>The PATCH number (0 when the tag has none).</summary>
    public long Patch { get; }

    /// <summary>The dot-separated prerelease identifiers after <c>-</c>; empty for a release.</summary>
    public IReadOnlyList<string> Prerelease { get; }

    /// <summary>The dot-separated build metadata identifiers after <c>+</c>; never part of precedence.</summary>
    public IReadOnlyList<string> Build { get; }

    /// <summary>Whether the version has prerelease identifiers (and so is lower than its release).</summary>
    public bool IsPrerelease => Prerelease.Count > 0;

    /// <summary>Reads <paramref name="tag"/> as a semantic version with the tolerances described on the type.</summary>
    /// <returns>False, with <paramref name="version"/> null, when the tag is not a semantic version.</returns>
    public static bool TryParse([NotNullWhen(true)] string? tag, [NotNullWhen(true)] out SemanticVersion? version)
    {
        version = null;
        var match = tag is null ? null : VersionPattern().Match(tag);
        if (match is null || !match.Success
            || !TryReadNumber(match.Groups["major"], out var major)
            || !TryReadNumber(match.Groups["minor"], out var minor)
            || !TryReadNumber(match.Groups["patch"], out var patch))
        {
            return false;
        }

        var prerelease = Identifiers(match.Groups["pre"]);
        if (prerelease.Any(HasLeadingZero))
        {
            return false;
        }

        version = new SemanticVersion(tag!, major, minor, patch, prerelease, Identifiers(match.Groups["build"]));
        return true;
    }

    /// <summary>A version made of its parts, for bounds built by <see cref="SemverRange"/>.</summary>
    internal static SemanticVersion Create(long major, long minor, long patch, IReadOnlyList<string>? prerelease = null) =>
        new(Format(major, minor, patch, prerelease ?? [], []), major, minor, patch, prerelease ?? [], []);

    /// <summary>
    /// Compares by semver precedence: MAJOR, MINOR, PATCH numerically; a prerelease is lower than
    /// its release; prerelease identifiers left to right (numeric ones numerically, others
    /// ordinally, numeric lower than alphanumeric, a shorter list lower when it is a prefix).
    /// Build metadata is ignored. A null version is lower than every version.
    /// </summary>
    public int CompareTo(SemanticVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var core = Major != other.Major ? Major.CompareTo(other.Major)
            : Minor != other.Minor ? Minor.CompareTo(other.Minor)
            : Patch.CompareTo(other.Patch);
        if (core != 0)
        {
            return core;
        }

        if (IsPrerelease != other.IsPrerelease)
        {
            return IsPrerelease ? -1 : 1;
        }

        for (var i = 0; i < Math.Min(Prerelease.Count, other.Prerelease.Count); i++)
        {
            var order = CompareIdentifiers(Prerelease[i], other.Prerelease[i]);
            if (order != 0)
            {
                return order;
            }
        }

        return Prerelease.Count.CompareTo(other.Prerelease.Count);
    }

    /// <summary>Whether the two versions have equal precedence (build metadata and spelling ignored).</summary>
    public bool Equals(SemanticVersion? other) => CompareTo(other) == 0;

    /// <inheritdoc cref="Equals(SemanticVersion?)"/>
    public override bool Equals(object? obj) => Equals(obj as SemanticVersion);

    /// <summary>A hash consistent with precedence equality.</summary>
    public override int GetHashCode() =>
        HashCode.Combine(Major, Minor, Patch, string.Join('.', Prerelease));

    /// <summary>Whether the same MAJOR.MINOR.PATCH as <paramref name="other"/>, whatever the prerelease.</summary>
    public bool HasSameCore(SemanticVersion other) =>
        Major == other.Major && Minor == other.Minor && Patch == other.Patch;

    /// <summary>The version in semver's canonical form, e.g. <c>1.2.0-rc.1+b7</c> for the tag <c>v1.2-rc.1+b7</c>.</summary>
    public override string ToString() => Format(Major, Minor, Patch, Prerelease, Build);

    /// <summary>Precedence: whether <paramref name="left"/> is lower than <paramref name="right"/>.</summary>
    public static bool operator <(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) < 0;

    /// <summary>Precedence: whether <paramref name="left"/> is lower than or equal to <paramref name="right"/>.</summary>
    public static bool operator <=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) <= 0;

    /// <summary>Precedence: whether <paramref name="left"/> is higher than <paramref name="right"/>.</summary>
    public static bool operator >(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) > 0;

    /// <summary>Precedence: whether <paramref name="left"/> is higher than or equal to <paramref name="right"/>.</summary>
    public static bool operator >=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) >= 0;

    /// <summary>Precedence: whether the two have equal precedence.</summary>
    public static bool operator ==(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) == 0;

    /// <summary>Precedence: whether the two have different precedence.</summary>
    public static bool operator !=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) != 0;

    private static string Format(long major, long minor, long patch, IReadOnlyList<string> prerelease, IReadOnlyList<string> build) =>
        string.Create(CultureInfo.InvariantCulture, $"{major}.{minor}.{patch}")
        + (prerelease.Count > 0 ? "-" + string.Join('.', prerelease) : string.Empty)
        + (build.Count > 0 ? "+" + string.Join('.', build) : string.Empty);

    private static int Compare(SemanticVersion? left, SemanticVersion? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);

    private static int CompareIdentifiers(string left, string right)
    {
        var leftNumeric = left.All(char.IsAsciiDigit);
        var rightNumeric = right.All(char.IsAsciiDigit);
        if (leftNumeric && rightNumeric)
        {
            // no leading zeros, so the longer number is the larger one, whatever its size
            return left.Length != right.Length ? left.Length.CompareTo(right.Length) : string.CompareOrdinal(left, right);
        }

        return leftNumeric != rightNumeric ? (leftNumeric ? -1 : 1) : string.CompareOrdinal(left, right);
    }

    private static bool TryReadNumber(Group group, out long value)
    {
        value = 0;
        return !group.Success || long.TryParse(group.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string[] Identifiers(Group group) => group.Success ? group.Value.Split('.') : [];

    private static bool HasLeadingZero(string identifier) =>
        identifier.Length > 1 && identifier[0] == '0' && identifier.All(char.IsAsciiDigit);

    [GeneratedRegex(
        @"^v?(?<major>0|[1-9][0-9]*)(?:\.(?<minor>0|[1-9][0-9]*)(?:\.(?<patch>0|[1-9][0-9]*))?)?"
        + @"(?:-(?<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\z",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex VersionPattern();
}
