using SyncGateway.Registry.Protocol;
using SyncGateway.Replicator.Planning;
using SyncGateway.Replicator.Tasks;

namespace SyncGateway.Replicator.Engine;

/// <summary>One image's comparison: both digests as the registries answered a HEAD, or why there is none.</summary>
public sealed record VerifyResult(SyncTask Task, VerifyStatus Status, Digest? SourceDigest, Digest? DestinationDigest, string? Error)
{
    /// <summary>
    /// The source index's digest when a rule's platforms make the destination's a new index; then
    /// <see cref="SourceDigest"/> is the digest that index has (what the destination must hold).
    /// </summary>
    public Digest? RewrittenFrom { get; init; }
}

/// <summary>
/// A whole verification: the results kept (every image not in sync; those in sync too when asked),
/// how many images ended each way, and the rules that could not be expanded.
/// </summary>
public sealed record VerifyReport(IReadOnlyList<VerifyResult> Results, IReadOnlyList<PlanFailure> PlanFailures, TimeSpan Duration)
{
    /// <summary>Images by how they compared; when not given, counted from <see cref="Results"/>.</summary>
    public IReadOnlyDictionary<VerifyStatus, int>? Counts { get; init; }

    /// <summary>Every image compared, kept or not.</summary>
    public int Images => Enum.GetValues<VerifyStatus>().Sum(Count);

    public int Count(VerifyStatus status) => Counts is { } counts ? counts.GetValueOrDefault(status) : Results.Count(r => r.Status == status);

    /// <summary>0 only when every image is in sync and every rule expanded.</summary>
    public int ExitCode => PlanFailures.Count == 0 && Enum.GetValues<VerifyStatus>().All(s => s == VerifyStatus.InSync || Count(s) == 0) ? 0 : 1;
}
