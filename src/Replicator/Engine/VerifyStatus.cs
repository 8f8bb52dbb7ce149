namespace SyncGateway.Replicator.Engine;

/// <summary>How one image compares between its source and a destination.</summary>
public enum VerifyStatus
{
    /// <summary>The destination tag has the source's digest.</summary>
    InSync,

    /// <summary>The destination has no such tag.</summary>
    Missing,

    /// <summary>The destination tag has another digest; a sync would overwrite it.</summary>
    Different,

    /// <summary>The destination tag has another digest and the rule does not overwrite: a sync leaves it.</summary>
    Conflict,

    /// <summary>The comparison could not be made (the source lacks the image, a registry failed).</summary>
    Failed,
}
