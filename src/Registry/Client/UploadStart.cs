namespace SyncGateway.Registry.Client;

/// <summary>What opening a blob upload gave: the blob was mounted, or here is the session to send it to.</summary>
public sealed record UploadStart(bool Mounted, Uri? Location);
