using SyncGateway.Registry.Client;
using SyncGateway.Replicator.Configuration;

namespace SyncGateway.Gateway.Live;

/// <summary>
/// One loaded configuration with what is built from it: the registries' clients (their
/// connection pools) and the mirror map. A reload builds a new generation and swaps it in whole;
/// work in flight holds a lease on the generation it started with, and the replaced generation's
/// connections are closed when its last lease ends.
/// </summary>
internal sealed class ConfigurationGeneration(SyncConfiguration configuration, RegistryClientPool registries, IReadOnlyDictionary<string, MirrorMap> mirrors)
{
    // One reference is the live configuration's own, given up by Retire.
    private int _references = 1;

    public SyncConfiguration Configuration { get; } = configuration;

    public RegistryClientPool Registries { get; } = registries;

    /// <summary>The mirror map of one of the gateway's sources.</summary>
    public MirrorMap MirrorsOf(string source) => mirrors[source];

    /// <summary>Whether the generation's connections have been closed.</summary>
    public bool Disposed => Volatile.Read(ref _references) == 0;

    /// <summary>A lease, unless the generation is already closed (then the caller takes the newer one).</summary>
    public bool TryLease(out GenerationLease lease)
    {
        for (var current = Volatile.Read(ref _references); current > 0; current = Volatile.Read(ref _references))
        {
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                lease = new GenerationLease(this);
                return true;
            }
        }

        lease = default;
        return false;
    }

    /// <summary>The generation was replaced: it closes as soon as no work uses it.</summary>
    public void Retire() => Release();

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Registries.Dispose();
        }
    }
}
