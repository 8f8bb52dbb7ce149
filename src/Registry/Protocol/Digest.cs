using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SyncGateway.Registry.Protocol;

/// <summary>
/// A content digest such as <c>sha256:0123…</c>. Only sha256 and sha512 are accepted, with the
/// exact lower-case hex length of the algorithm, so a digest can be put into a URL or path as is.
/// </summary>
public readonly partial record struct Digest
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }

    public string Hex { get; }

    public static Digest Parse(string value) =>
        TryParse(value, out var digest)
            ? digest
            : throw new FormatException($"'{value}' is not a valid digest (expected sha256:<64 hex> or sha512:<128 hex>)");

    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest)
    {
        digest = default;
        if (value is null)
        {
            return false;
        }

        var match = DigestPattern().Match(value);
        if (!match.Success)
        {
            return false;
        }

        var algorithm = match.Groups["alg"].Value;
        var hex = match.Groups["hex"].Value;
        var expectedLength = algorithm == Sha256 ? 64 : 128;
        if (hex.Length != expectedLength)
        {
            return false;
        }

        digest = new Digest(algorithm, hex);
        return true;
    }

    /// <summary>Computes the sha256 digest of <paramref name="content"/>.</summary>
    public static Digest Compute(ReadOnlySpan<byte> content) =>
        new(Sha256, Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>Computes the digest of <paramref name="content"/> with this digest's algorithm.</summary>
    public bool Matches(ReadOnlySpan<byte> content)
    {
        var hash = Algorithm == Sha256 ? SHA256.HashData(content) : SHA512.HashData(content);
        return Convert.ToHexStringLower(hash) == Hex;
    }

    internal HashAlgorithmName HashAlgorithm =>
        Algorithm == Sha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA512;

    internal static Digest FromHash(HashAlgorithmName algorithm, byte[] hash) =>
        new(algorithm == HashAlgorithmName.SHA256 ? Sha256 : Sha512, Convert.ToHexStringLower(hash));

    public override string ToString() => Algorithm is null ? string.Empty : $"{Algorithm}:{Hex}";

    [GeneratedRegex("^(?<alg>sha256|sha512):(?<hex>[a-f0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();
}
