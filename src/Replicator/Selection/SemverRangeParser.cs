using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SyncGateway.Replicator.Selection;

/// <summary>The grammar of <see cref="SemverRange"/>: text to <c>||</c> alternatives of comparator intervals.</summary>
internal static partial class SemverRangeParser
{
    private const string OperatorChars = "<>=!~^";
    private const string Operators = "=, !=, >, >=, <, <=, ~ or ^";
    private const string VersionForm = "MAJOR[.MINOR[.PATCH]][-prerelease][+build], with x or * for any part";

    public static bool TryParse(
        string text,
        bool includePrerelease,
        [NotNullWhen(true)] out IReadOnlyList<ComparatorSet>? alternatives,
        [NotNullWhen(false)] out string? error)
    {
        alternatives = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the range is empty; write * for every version";
            return false;
        }

        var sets = new List<ComparatorSet>();
        foreach (var alternative in text.Split("||"))
        {
            var tokens = alternative.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
            {
                error = $"'{text}' has an empty alternative next to '||'";
                return false;
            }

            var parser = new Alternative(includePrerelease);
            if (!(tokens.Contains("-") ? parser.TryAddHyphen(alternative.Trim(), tokens, out error) : parser.TryAddComparators(tokens, out error)))
            {
                return false;
            }

            sets.Add(new ComparatorSet(parser.Comparators, parser.PrereleaseCores));
        }

        alternatives = sets;
        error = null;
        return true;
    }

    /// <summary>
    /// A version as written in a range: a null part is a wildcard (<c>x</c>, <c>X</c>, <c>*</c>)
    /// or missing, and every part after one is too.
    /// </summary>
    private readonly record struct Partial(long? Major, long? Minor, long? Patch, IReadOnlyList<string> Prerelease)
    {
        /// <summary>How many leading parts are numbers: 0 for <c>*</c>, 3 for a whole version.</summary>
        public int Level => Major is null ? 0 : Minor is null ? 1 : Patch is null ? 2 : 3;

        public SemanticVersion Version => SemanticVersion.Create(Major ?? 0, Minor ?? 0, Patch ?? 0, Prerelease);
    }

    private sealed class Alternative(bool includePrerelease)
    {
        // npm: bounds made from a partial version start at its lowest prerelease when prereleases are in
        private readonly string[] _floorPrerelease = includePrerelease ? ["0"] : [];

        public List<VersionInterval> Comparators { get; } = [];

        public List<SemanticVersion> PrereleaseCores { get; } = [];

        public bool TryAddHyphen(string alternative, string[] tokens, [NotNullWhen(false)] out string? error)
        {
            if (tokens.Any(t => OperatorChars.Contains(t[0], StringComparison.Ordinal)))
            {
                error = $"'{alternative}': the ends of a hyphen range take no operator";
                return false;
            }

            if (tokens.Length != 3 || tokens[1] != "-")
            {
                error = $"'{alternative}': '-' joins exactly two versions, as in '1.2.3 - 2.3.4'";
                return false;
            }

            if (!TryReadVersion(tokens[0], tokens[0], out var from, out error) || !TryReadVersion(tokens[2], tokens[2], out var to, out error))
            {
                return false;
            }

            var lower = from.Level == 0 ? null : Floor(from);
            var upper = to.Level == 3 ? to.Version : to.Level == 0 ? null : Next(to);
            var interval = new VersionInterval(lower, lower is not null, upper, to.Level == 3);
            if (interval.IsEmpty)
            {
                error = $"'{alternative}' can match no version: its first version is above its second";
                return false;
            }

            Comparators.Add(interval);
            return true;
        }

        public bool TryAddComparators(string[] tokens, [NotNullWhen(false)] out string? error)
        {
            for (var i = 0; i < tokens.Length; i++)
            {
                var comparator = tokens[i];
                if (i + 1 < tokens.Length && comparator.All(c => OperatorChars.Contains(c, StringComparison.Ordinal)))
                {
                    comparator += tokens[++i]; // ">= 1.2.0" is ">=1.2.0"
                }

                if (!TryAdd(comparator, out error))
                {
                    return false;
                }
            }

            error = null;
            return true;
        }

        private bool TryAdd(string comparator, [NotNullWhen(false)] out string? error)
        {
            var length = 0;
            while (length < comparator.Length && OperatorChars.Contains(comparator[length], StringComparison.Ordinal))
            {
                length++;
            }

            var op = comparator[..length];
            if (op is not ("" or "=" or "!=" or ">" or ">=" or "<" or "<=" or "~" or "^"))
            {
                error = $"'{op}' in '{comparator}' is not an operator (use {Operators})";
                return false;
            }

            if (!TryReadVersion(comparator[length..], comparator, out var partial, out error))
            {
                return false;
            }

            var interval = Interval(op, partial);
            if (interval is null)
            {
                error = $"'{comparator}' can match no version";
                return false;
            }

            Comparators.Add(interval);
            return true;
        }

        /// <summary>The versions that <paramref name="op"/> with <paramref name="p"/> admits; null for none.</summary>
        private VersionInterval? Interval(string op, Partial p) => (op, p.Level) switch
        {
            (">" or "<" or "!=", 0) => null,
            (_, 0) => VersionInterval.Any,
            ("" or "=", 3) => VersionInterval.Exactly(p.Version),
            ("" or "=", _) => VersionInterval.From(Floor(p), Next(p)),
            ("!=", 3) => VersionInterval.Exactly(p.Version, negated: true),
            ("!=", _) => VersionInterval.From(Floor(p), Next(p), negated: true),
            (">", 3) => VersionInterval.Above(p.Version),
            (">", _) => VersionInterval.AtLeast(Floor(Next(p))),
            (">=", _) => VersionInterval.AtLeast(Floor(p)),
            ("<", 3) => VersionInterval.Below(p.Version),
            ("<", _) => VersionInterval.Below(Lowest(p.Major!.Value, p.Minor ?? 0, 0)),
            ("<=", 3) => VersionInterval.AtMost(p.Version),
            ("<=", _) => VersionInterval.Below(Next(p)),
            ("~", 3) => VersionInterval.From(p.Version, Lowest(p.Major!.Value, p.Minor!.Value + 1, 0)),
            ("~", _) => VersionInterval.From(Floor(p), Next(p)),
            _ => Caret(p),
        };

        /// <summary><c>^</c>: changes that keep the leftmost non-zero part (or, for 0.0 and 0, the last given part).</summary>
        private VersionInterval Caret(Partial p)
        {
            long major = p.Major!.Value, minor = p.Minor ?? 0, patch = p.Patch ?? 0;
            var upper = major > 0 || p.Level == 1 ? Lowest(major + 1, 0, 0)
                : minor > 0 || p.Level == 2 ? Lowest(0, minor + 1, 0)
                : Lowest(0, 0, patch + 1);
            return VersionInterval.From(Floor(p), upper);
        }

        /// <summary>The lowest version that <paramref name="p"/> stands for.</summary>
        private SemanticVersion Floor(Partial p) =>
            p.Level == 3 ? p.Version : SemanticVersion.Create(p.Major ?? 0, p.Minor ?? 0, 0, _floorPrerelease);

        private SemanticVersion Floor(SemanticVersion v) => SemanticVersion.Create(v.Major, v.Minor, v.Patch, _floorPrerelease);

        /// <summary>The lowest version above everything a partial version (level 1 or 2) stands for: 1.3.0-0 for 1.2, 2.0.0-0 for 1.</summary>
        private static SemanticVersion Next(Partial p) =>
            p.Level == 1 ? Lowest(p.Major!.Value + 1, 0, 0) : Lowest(p.Major!.Value, p.Minor!.Value + 1, 0);

        /// <summary><c>M.m.p-0</c>: lower than every prerelease of M.m.p.</summary>
        private static SemanticVersion Lowest(long major, long minor, long patch) => SemanticVersion.Create(major, minor, patch, ["0"]);

        private bool TryReadVersion(string text, string comparator, out Partial partial, [NotNullWhen(false)] out string? error)
        {
            partial = default;
            if (text.Length == 0)
            {
                error = $"'{comparator}' has no version after its operator";
                return false;
            }

            var where = text == comparator ? $"'{text}'" : $"'{text}' in '{comparator}'";
            var match = PartialPattern().Match(text);

            long?[] parts = [null, null, null];
            if (!match.Success || !TryReadParts(match, parts))
            {
                error = $"{where} is not a version ({VersionForm})";
                return false;
            }

            if (parts.SkipWhile(n => n is not null).Any(n => n is not null))
            {
                error = $"{where} is not a version: a number cannot follow a wildcard";
                return false;
            }

            var prerelease = match.Groups["pre"].Success ? match.Groups["pre"].Value.Split('.') : [];
            if (prerelease.Length > 0 && parts[2] is null)
            {
                error = $"{where} is not a version: a prerelease needs MAJOR.MINOR.PATCH";
                return false;
            }

            if (prerelease.Any(i => i.Length > 1 && i[0] == '0' && i.All(char.IsAsciiDigit)))
            {
                error = $"{where} is not a version: a numeric prerelease identifier has a leading zero";
                return false;
            }

            partial = new Partial(parts[0], parts[1], parts[2], prerelease);
            if (prerelease.Length > 0)
            {
                PrereleaseCores.Add(partial.Version);
            }

            error = null;
            return true;
        }

        private static bool TryReadParts(Match match, long?[] parts)
        {
            string[] names = ["major", "minor", "patch"];
            for (var i = 0; i < names.Length; i++)
            {
                var group = match.Groups[names[i]];
                if (!group.Success || group.Value is "x" or "X" or "*")
                {
                    continue;
                }

                // below long.MaxValue, so that the next version up is still a number
                if (!long.TryParse(group.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == long.MaxValue)
                {
                    return false;
                }

                parts[i] = number;
            }

            return true;
        }
    }

    [GeneratedRegex(
        @"^v?(?<major>0|[1-9][0-9]*|[xX*])(?:\.(?<minor>0|[1-9][0-9]*|[xX*])(?:\.(?<patch>0|[1-9][0-9]*|[xX*]))?)?"
        + @"(?:-(?<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\z",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex PartialPattern();
}
