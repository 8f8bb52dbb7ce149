using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace SyncGateway.Registry.Protocol;

/// <summary>
/// <c>host[:port]/repository[:tag][@digest]</c>, parsed strictly with the distribution reference
/// grammar before anything builds a URL from it. A name without a registry is on Docker Hub, and a
/// one-component Docker Hub name is under <c>library/</c>.
/// </summary>
public sealed partial record ImageReference
{
    public const string DockerHub = "docker.io";
    public const int MaxRepositoryLength = 255;

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry as <c>host[:port]</c>, lower-case; Docker Hub is <c>docker.io</c>.</summary>
    public string Registry { get; }

    /// <summary>The repository path inside the registry, e.g. <c>library/nginx</c>.</summary>
    public string Repository { get; }

    public string? Tag { get; }

    public Digest? Digest { get; }

    /// <summary>The tag, else the digest: what a manifest request names.</summary>
    public string Reference => Digest?.ToString() ?? Tag ?? throw new InvalidOperationException($"{this} names neither a tag nor a digest");

    /// <summary><c>registry/repository</c>, without tag or digest.</summary>
    public string Name => $"{Registry}/{Repository}";

    public static ImageReference Parse(string value) =>
        TryParse(value, out var reference, out var error)
            ? reference
            : throw new FormatException(error);

    /// <summary>Parses a repository name that must carry neither a tag nor a digest.</summary>
    public static ImageReference ParseRepository(string value)
    {
        var reference = Parse(value);
        return reference.Tag is null && reference.Digest is null
            ? reference
            : throw new FormatException($"'{value}' must name a repository without a tag or digest");
    }

    public static ImageReference Create(string registry, string repository, string? tag = null, Digest? digest = null)
    {
        if (!HostPattern().IsMatch(registry))
        {
            throw new FormatException($"'{registry}' is not a valid registry host");
        }

        if (!IsValidRepository(repository))
        {
            throw new FormatException($"'{repository}' is not a valid repository name");
        }

        if (tag is not null && !IsValidTag(tag))
        {
            throw new FormatException($"'{tag}' is not a valid tag");
        }

        return new ImageReference(registry, repository, tag, digest);
    }

    public static bool TryParse(
        [NotNullWhen(true)] string? value,
        [NotNullWhen(true)] out ImageReference? reference,
        [NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrEmpty(value))
        {
            error = "the image reference is empty";
            return false;
        }

        var rest = value;
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var digestText = rest[(at + 1)..];
            if (!Protocol.Digest.TryParse(digestText, out var parsedDigest))
            {
                error = $"'{value}' has an invalid digest '{digestText}'";
                return false;
            }

            digest = parsedDigest;
            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!IsValidTag(tag))
            {
                error = $"'{value}' has an invalid tag '{tag}' (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')";
                return false;
            }
        }

        if (!TrySplitName(rest, out var registry, out var repository, out error))
        {
            error = $"'{value}': {error}";
            return false;
        }

        reference = new ImageReference(registry, repository, tag, digest);
        return true;
    }

    /// <summary>Splits <c>[host[:port]/]path</c> into the registry and the repository path.</summary>
    public static bool TrySplitName(
        string name,
        [NotNullWhen(true)] out string? registry,
        [NotNullWhen(true)] out string? repository,
        [NotNullWhen(false)] out string? error)
    {
        registry = null;
        repository = null;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? name : name[..slash];
        string host;
        string path;
        if (slash >= 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost" || first.StartsWith('[')))
        {
            host = first.ToLowerInvariant();
            path = name[(slash + 1)..];
            if (!HostPattern().IsMatch(host))
            {
                error = $"'{first}' is not a valid registry host";
                return false;
            }
        }
        else
        {
            host = DockerHub;
            path = name;
        }

        if (host is "index.docker.io" or "registry-1.docker.io")
        {
            host = DockerHub;
        }

        if (host == DockerHub && !path.Contains('/', StringComparison.Ordinal))
        {
            path = "library/" + path;
        }

        if (!IsValidRepository(path))
        {
            error = $"'{path}' is not a valid repository name (lower-case components of letters and digits joined by '.', '_', '__' or '-', separated by '/', at most {MaxRepositoryLength} characters)";
            return false;
        }

        registry = host;
        repository = path;
        error = null;
        return true;
    }

    public static bool IsValidRepository(string repository) =>
        repository.Length <= MaxRepositoryLength && RepositoryPattern().IsMatch(repository);

    public static bool IsValidTag(string tag) => TagPattern().IsMatch(tag);

    public ImageReference WithTag(string tag) =>
        IsValidTag(tag) ? new ImageReference(Registry, Repository, tag, null) : throw new FormatException($"'{tag}' is not a valid tag");

    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, null, digest);

    public override string ToString() =>
        Name + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);

    [GeneratedRegex(@"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[a-f0-9:]+\])(?::[0-9]{1,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
