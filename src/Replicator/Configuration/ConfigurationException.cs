namespace SyncGateway.Replicator.Configuration;

/// <summary>Every problem found in the configuration, reported together before anything is touched.</summary>
public sealed class ConfigurationException(IReadOnlyList<ConfigurationError> errors)
    : Exception($"{errors.Count} configuration error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors.Select(e => "  " + e))}")
{
    public IReadOnlyList<ConfigurationError> Errors { get; } = errors;
}
