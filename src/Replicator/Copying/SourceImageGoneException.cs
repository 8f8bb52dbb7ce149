namespace SyncGateway.Replicator.Copying;

/// <summary>The source no longer has the image (a deleted tag, a removed repository): nothing to retry.</summary>
public sealed class SourceImageGoneException(string message, Exception? inner = null) : Exception(message, inner);
