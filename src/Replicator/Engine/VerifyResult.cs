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

/// <summary>A whole verification: every image, and the rules that could not be expanded.</summary>
public sealed record VerifyReport(IReadOnlyList<VerifyResult> Results, IReadOnlyList<PlanFailure> PlanFailures, TimeSpan Duration)
{
    public int Count(VerifyStatus status) => Results.Count(r => r.Status == status);

    /// <summary>0 only when every image is in sync and every rule expanded.</summary>
    public int ExitCode => PlanFailures.Count == 0 && Results.All(r => r.Status == VerifyStatus.InSync) ? 0 : 1;
}
