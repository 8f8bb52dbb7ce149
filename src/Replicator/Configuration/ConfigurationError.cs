namespace SyncGateway.Replicator.Configuration;

/// <summary>One problem in a configuration: the file, the key (or the rule's source string) and what is wrong.</summary>
public sealed record ConfigurationError(string File, string Key, string Message)
{
    public override string ToString() => Key.Length == 0 ? $"{File}: {Message}" : $"{File}: {Key}: {Message}";
}
