namespace SyncGateway.Gateway.Live;

/// <summary>Keeps a configuration generation (and its connections) open for one piece of work.</summary>
internal readonly struct GenerationLease(ConfigurationGeneration generation) : IDisposable
{
    public ConfigurationGeneration Generation { get; } = generation;

    public void Dispose() => Generation?.Release();
}
