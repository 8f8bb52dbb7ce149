using Microsoft.Extensions.Logging;

namespace SyncGateway.Replicator;

/// <summary>The replicator's log messages, with stable event ids.</summary>
internal static partial class ReplicatorLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Synced {Source} -> {Destination} ({Digest})")]
    public static partial void Synced(ILogger logger, string source, string destination, string digest);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Already in sync {Source} -> {Destination} ({Digest})")]
    public static partial void InSync(ILogger logger, string source, string destination, string digest);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Failed {Source} -> {Destination}: {Reason}")]
    public static partial void Failed(ILogger logger, string source, string destination, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Retry {Attempt} in {Delay}: {Reason}")]
    public static partial void Retrying(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Could not plan {Rule}: {Reason}")]
    public static partial void PlanFailed(ILogger logger, string rule, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "No tag of {Rule} matches its tag patterns")]
    public static partial void NoTags(ILogger logger, string rule);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "The records knew {Digest} in {Repository}, but the registry did not mount it; forgetting that record")]
    public static partial void RecordContradicted(ILogger logger, string digest, string repository);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Platform filter rewrites the index of {Source}: digest {SourceDigest} becomes {NewDigest}")]
    public static partial void IndexRewritten(ILogger logger, string source, string sourceDigest, string newDigest);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "{Registry} does not honour cross-repository mounts; blobs are checked with HEAD before they are uploaded there")]
    public static partial void MountsIgnored(ILogger logger, string registry);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "The upload of {Digest} to {Repository} was resumed {Resumes} time(s) instead of starting over")]
    public static partial void UploadResumed(ILogger logger, string digest, string repository, int resumes);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Conflict {Source} -> {Destination}: the destination is at {DestinationDigest}, the source at {SourceDigest}; left alone (overwrite is off)")]
    public static partial void Conflict(ILogger logger, string source, string destination, string destinationDigest, string sourceDigest);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "The records could not take the failure of {Task}: {Reason}")]
    public static partial void RecordingFailed(ILogger logger, string task, string reason);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Information, Message = "Referrer {ArtifactType} {Digest} copied to {Repository} after its subject {Subject}")]
    public static partial void ReferrerCopied(ILogger logger, string artifactType, string digest, string repository, string subject);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Information, Message = "{Registry} {What}")]
    public static partial void ReferrersApi(ILogger logger, string registry, string what);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Information, Message = "The referrers of {Source} sign or describe the index {SourceDigest}, which a rule's platforms rewrote; they are not copied to {Destination}")]
    public static partial void ReferrersOfRewrittenIndex(ILogger logger, string source, string sourceDigest, string destination);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Debug, Message = "Blob {Digest} ({Size} bytes) {Action} in {Repository}")]
    public static partial void Blob(ILogger logger, string digest, long size, string action, string repository);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "The upload of {Digest} to {Repository} failed during the read it shared with other destinations; trying again alone: {Reason}")]
    public static partial void SharedUploadFailed(ILogger logger, string digest, string repository, string reason);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "{Count} destination(s) of {Digest} from {Source} stopped reading for {Stall} and went on with a source read of their own")]
    public static partial void BranchesCutLoose(ILogger logger, int count, string digest, string source, TimeSpan stall);
}
