using System.Diagnostics.CodeAnalysis;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Selection;

/// <summary>
/// The source of a pattern rule: a registry host and a repository path in which whole components
/// may be wildcards, e.g. <c>harbor.example.com/team/**</c>; the repositories it names are found
/// through the registry's catalog.
/// </summary>
/// <remarks>
/// A <c>*</c> component matches exactly one path component; a <c>**</c> component matches one or
/// more (so <c>team/**</c> matches <c>team/app</c> and <c>team/app/api</c>, but not the repository
/// <c>team</c> itself; <c>a/**/b</c> needs at least one component between <c>a</c> and
/// <c>b</c>). A wildcard is always a whole component: narrower names (<c>app-*</c>) are the job of
/// <see cref="RepositoryFilter"/>. The other components are literal repository name components.
/// </remarks>
public sealed class RepositoryPattern
{
    private const string AnyOne = "*";
    private const string AnyDepth = "**";
    private readonly string[] _components;

    private RepositoryPattern(string source, string registry, string[] components)
    {
        Source = source;
        Registry = registry;
        _components = components;
        FixedPrefix = string.Join('/', components.TakeWhile(c => c is not (AnyOne or AnyDepth)));
    }

    /// <summary>The pattern as written.</summary>
    public string Source { get; }

    /// <summary>The registry as lower-case <c>host[:port]</c>, whose catalog lists the candidates.</summary>
    public string Registry { get; }

    /// <summary>
    /// The literal path before the first wildcard component (<c>team</c> for <c>host/team/**</c>,
    /// <c>a</c> for <c>host/a/*/b</c>, empty for <c>host/**</c>): every match starts with it, and
    /// <see cref="PathBelowPrefix"/> is what follows it.
    /// </summary>
    public string FixedPrefix { get; }

    /// <summary>
    /// Whether a rule's source is meant as a pattern: it holds a <c>*</c>, which no repository
    /// name can. Use <see cref="TryParse"/> to learn whether it is a valid one.
    /// </summary>
    public static bool IsPattern(string source) => source.Contains('*', StringComparison.Ordinal);

    /// <summary>Parses <c>host[:port]/path</c> with <c>*</c> and <c>**</c> components.</summary>
    /// <param name="source">The rule's source, e.g. <c>harbor.example.com/team/**</c>.</param>
    /// <param name="pattern">The pattern, when it parses.</param>
    /// <param name="error">Otherwise what is wrong, naming the source and the component at fault.</param>
    public static bool TryParse(string source, [NotNullWhen(true)] out RepositoryPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        pattern = null;
        var slash = source.IndexOf('/', StringComparison.Ordinal);
        var host = slash < 0 ? source : source[..slash];
        var path = slash < 0 ? string.Empty : source[(slash + 1)..];
        if (!RepositoryNames.LooksLikeHost(host))
        {
            error = $"'{source}' must start with a registry host (e.g. harbor.example.com/{source}): a pattern's repositories are listed through that registry's catalog";
            return false;
        }

        if (!RepositoryNames.IsValidHost(host.ToLowerInvariant()))
        {
            error = $"'{source}': '{host}' is not a valid registry host";
            return false;
        }

        if (path.Length == 0)
        {
            error = $"'{source}' has no repository path after the registry host (e.g. {host}/**)";
            return false;
        }

        if (path.Contains('@', StringComparison.Ordinal) || path.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{source}' has a tag or digest: a pattern names repositories only (choose tags with tags, semver and latest)";
            return false;
        }

        var components = path.Split('/');
        if (components.Any(c => c.Length == 0))
        {
            error = $"'{source}' has an empty path component (a '/' at an end or two in a row)";
            return false;
        }

        foreach (var component in components)
        {
            if (!TryCheckComponent(source, component, out error))
            {
                return false;
            }
        }

        if (!components.Any(c => c is AnyOne or AnyDepth))
        {
            error = $"'{source}' has no '*' or '**' component, so it names one repository, not a pattern";
            return false;
        }

        // the shortest match puts one character where each wildcard is
        var shortest = components.Sum(c => c is AnyOne or AnyDepth ? 1 : c.Length) + components.Length - 1;
        if (shortest > ImageReference.MaxRepositoryLength)
        {
            error = $"'{source}' can match no repository: every match would be longer than {ImageReference.MaxRepositoryLength} characters";
            return false;
        }

        pattern = new RepositoryPattern(source, host.ToLowerInvariant(), components);
        error = null;
        return true;
    }

    /// <summary>
    /// Whether the pattern takes <paramref name="repository"/>, a repository path of
    /// <see cref="Registry"/> as its catalog lists it (without the host), e.g. <c>team/app</c>.
    /// </summary>
    public bool Matches(string repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if (!ImageReference.IsValidRepository(repository))
        {
            return false;
        }

        // matched[i, j]: the first i pattern components match the first j path components
        var path = repository.Split('/');
        var matched = new bool[_components.Length + 1, path.Length + 1];
        matched[0, 0] = true;
        for (var i = 1; i <= _components.Length; i++)
        {
            var component = _components[i - 1];
            for (var j = 1; j <= path.Length; j++)
            {
                matched[i, j] = component switch
                {
                    AnyOne => matched[i - 1, j - 1],
                    AnyDepth => matched[i - 1, j - 1] || matched[i, j - 1],
                    _ => matched[i - 1, j - 1] && string.Equals(component, path[j - 1], StringComparison.Ordinal),
                };
            }
        }

        return matched[_components.Length, path.Length];
    }

    /// <summary>
    /// What <paramref name="repository"/> has below <see cref="FixedPrefix"/>: the <c>{path}</c>
    /// of a destination template (<c>app/api</c> for <c>team/app/api</c> under <c>host/team/**</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The pattern does not match <paramref name="repository"/>.</exception>
    public string PathBelowPrefix(string repository)
    {
        if (!Matches(repository))
        {
            throw new ArgumentException($"'{repository}' is not matched by '{Source}'", nameof(repository));
        }

        return FixedPrefix.Length == 0 ? repository : repository[(FixedPrefix.Length + 1)..];
    }

    /// <summary>The pattern as written.</summary>
    public override string ToString() => Source;

    private static bool TryCheckComponent(string source, string component, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (component is AnyOne or AnyDepth || RepositoryNames.IsValidComponent(component))
        {
            return true;
        }

        if (component.Contains('*', StringComparison.Ordinal))
        {
            error = $"'{source}': '{component}' is not supported: a wildcard is a whole path component, '*' for one level or '**' for any depth (narrow names with repositories.include)";
        }
        else if (RepositoryNames.HasUpperCase(component))
        {
            error = $"'{source}': '{component}' has upper-case letters, which repository names cannot have";
        }
        else
        {
            error = $"'{source}': '{component}' is not a valid repository path component ({RepositoryNames.ComponentRule})";
        }

        return false;
    }
}
