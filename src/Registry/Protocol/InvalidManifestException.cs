namespace SyncGateway.Registry.Protocol;

/// <summary>A manifest that cannot be copied as it is: malformed, too large, or not matching its digest.</summary>
public sealed class InvalidManifestException(string message) : Exception(message);
