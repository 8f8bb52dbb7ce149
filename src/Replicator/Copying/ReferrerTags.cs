using System.Text.RegularExpressions;
using SyncGateway.Registry.Protocol;

namespace SyncGateway.Replicator.Copying;

/// <summary>
/// The tag schema that carries referrers where a registry has no referrers API: the OCI fallback
/// tag <c>sha256-HEX</c> (an index of the subject's referrers), and cosign's <c>sha256-HEX.sig</c>,
/// <c>.att</c> and <c>.sbom</c> tags. These tags are artifacts of an image, not images: they follow
/// their subject instead of being selected as tags of their own.
/// </summary>
public static partial class ReferrerTags
{
    /// <summary>cosign's tag suffixes, with the artifact type each stands for in an <c>artifactTypes</c> filter.</summary>
    public static readonly IReadOnlyList<(string Suffix, string ArtifactType)> Cosign =
    [
        ("sig", "application/vnd.dev.cosign.artifact.sig.v1+json"),
        ("att", "application/vnd.dev.cosign.artifact.att.v1+json"),
        ("sbom", "application/vnd.dev.cosign.artifact.sbom.v1+json"),
    ];

    /// <summary>The fallback tag of <paramref name="subject"/>: <c>sha256-HEX</c>.</summary>
    public static string Fallback(Digest subject) => $"{subject.Algorithm}-{subject.Hex}";

    /// <summary>Whether <paramref name="tag"/> is a fallback or cosign tag, and of which subject.</summary>
    public static bool TryGetSubject(string tag, out Digest subject)
    {
        subject = default;
        var match = TagPattern().Match(tag);
        return match.Success && Digest.TryParse($"{match.Groups[1].Value}:{match.Groups[2].Value}", out subject);
    }

    public static bool IsReferrerTag(string tag) => TryGetSubject(tag, out _);

    [GeneratedRegex(@"^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})(\.(sig|att|sbom))?$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
