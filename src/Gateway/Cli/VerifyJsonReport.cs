namespace SyncGateway.Gateway.Cli;

/// <summary>What <c>verify --json</c> prints: whether everything is in sync, the count of each status, each image, and the rules that gave no tasks.</summary>
internal sealed record VerifyJsonReport(
    bool InSync,
    Dictionary<string, int> Counts,
    IEnumerable<VerifyJsonReport.Image> Images,
    IEnumerable<VerifyJsonReport.PlanFailure> FailedToGenerate)
{
    /// <summary>One image compared.</summary>
    internal sealed record Image(string Source, string Destination, string Status, string? SourceDigest, string? DestinationDigest, string? RewrittenFrom, string? Error);

    /// <summary>A rule that failed to give tasks, and why.</summary>
    internal sealed record PlanFailure(string Rule, string Reason);
}
