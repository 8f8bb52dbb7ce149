namespace SyncGateway.Testing;

/// <summary>
/// One token a <see cref="TokenIssuer"/> gave out: who asked (null for anonymous), for which
/// registry (the <c>service</c>), the scopes as they were asked, and what the token grants, each
/// as a scope string (<c>repository:NAME:ACTIONS</c>; a repository with nothing granted is left out).
/// </summary>
public sealed record TokenRequest(string? User, string? Service, IReadOnlyList<string> Scopes, IReadOnlyList<string> Granted, DateTimeOffset IssuedAt)
{
    /// <summary>The scopes as one space-separated string, the way a client names a multi-repository scope.</summary>
    public string Scope => string.Join(' ', Scopes);

    public override string ToString() =>
        $"{User ?? "(anonymous)"} for {Service}: asked '{Scope}', granted '{string.Join(' ', Granted)}' at {IssuedAt.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)}";
}
