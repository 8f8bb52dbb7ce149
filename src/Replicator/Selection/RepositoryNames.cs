using System.Text.RegularExpressions;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// The distribution spec's grammar for registry hosts and repository path components, shared by
/// the pattern, filter and template parsers of this folder.
/// </summary>
internal static partial class RepositoryNames
{
    /// <summary>What a repository path component may hold, said in error messages.</summary>
    public const string ComponentRule = "lower-case letters and digits joined by '.', '_', '__' or '-'";

    /// <summary>Whether <paramref name="component"/> is one valid path component of a repository name.</summary>
    public static bool IsValidComponent(string component) => ComponentPattern().IsMatch(component);

    /// <summary>Whether <paramref name="host"/> is a valid lower-case <c>host[:port]</c>.</summary>
    public static bool IsValidHost(string host) => HostPattern().IsMatch(host);

    /// <summary>
    /// Whether the first component of a name is a registry host rather than a path: it holds a
    /// <c>.</c> or a <c>:</c>, or is <c>localhost</c> (the distribution reference rule).
    /// </summary>
    public static bool LooksLikeHost(string first) =>
        first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal)
        || first.Equals("localhost", StringComparison.OrdinalIgnoreCase) || first.StartsWith('[');

    /// <summary>Whether <paramref name="text"/> holds an ASCII upper-case letter.</summary>
    public static bool HasUpperCase(string text) => text.Any(char.IsAsciiLetterUpper);

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex ComponentPattern();

    [GeneratedRegex(@"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[a-f0-9:]+\])(?::[0-9]{1,5})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();
}
