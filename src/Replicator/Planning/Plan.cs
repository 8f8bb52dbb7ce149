namespace SyncGateway.Replicator.Planning;

/// <summary>The tasks the rules expand to, and the rules that could not be expanded, with why.</summary>
public sealed record Plan(IReadOnlyList<SyncTask> Tasks, IReadOnlyList<PlanFailure> Failures);

/// <summary>A rule that could not be turned into tasks (image-syncer's "failed to generate").</summary>
public sealed record PlanFailure(string Rule, string Reason);
