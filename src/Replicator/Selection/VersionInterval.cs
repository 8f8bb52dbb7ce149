namespace SyncGateway.Replicator.Selection;

/// <summary>
/// One comparator of a <see cref="SemverRange"/> as the versions between two bounds (a null bound
/// is open), or outside them when <see cref="Negated"/> (<c>!=</c>).
/// </summary>
internal sealed record VersionInterval(
    SemanticVersion? Lower,
    bool LowerInclusive,
    SemanticVersion? Upper,
    bool UpperInclusive,
    bool Negated = false)
{
    /// <summary>Every version.</summary>
    public static readonly VersionInterval Any = new(null, false, null, false);

    public static VersionInterval Exactly(SemanticVersion version, bool negated = false) => new(version, true, version, true, negated);

    public static VersionInterval AtLeast(SemanticVersion version) => new(version, true, null, false);

    public static VersionInterval Above(SemanticVersion version) => new(version, false, null, false);

    public static VersionInterval Below(SemanticVersion version) => new(null, false, version, false);

    public static VersionInterval AtMost(SemanticVersion version) => new(null, false, version, true);

    /// <summary>From <paramref name="lower"/> (inclusive) up to <paramref name="upper"/> (exclusive).</summary>
    public static VersionInterval From(SemanticVersion lower, SemanticVersion upper, bool negated = false) => new(lower, true, upper, false, negated);

    /// <summary>Whether the interval holds no version at all (a lower bound above the upper one).</summary>
    public bool IsEmpty =>
        !Negated && Lower is not null && Upper is not null
        && (Lower > Upper || (Lower == Upper && !(LowerInclusive && UpperInclusive)));

    public bool Contains(SemanticVersion version)
    {
        var inside = (Lower is null || (LowerInclusive ? version >= Lower : version > Lower))
            && (Upper is null || (UpperInclusive ? version <= Upper : version < Upper));
        return inside != Negated;
    }

    /// <summary>The interval as comparators, e.g. <c>&gt;=1.2.0 &lt;1.3.0-0</c>, <c>=1.2.3</c> or <c>!(&gt;=1.2.0 &lt;1.3.0-0)</c>.</summary>
    public override string ToString()
    {
        if (Lower is not null && Upper is not null && Lower == Upper && LowerInclusive && UpperInclusive)
        {
            return (Negated ? "!=" : "=") + Lower;
        }

        var lower = Lower is null ? null : (LowerInclusive ? ">=" : ">") + Lower;
        var upper = Upper is null ? null : (UpperInclusive ? "<=" : "<") + Upper;
        var bounds = lower is null && upper is null ? "*" : string.Join(' ', new[] { lower, upper }.OfType<string>());
        return Negated ? $"!({bounds})" : bounds;
    }
}
